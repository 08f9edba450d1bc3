/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bdfu-update"

#include "bluedfu/bdfu-error.h"
#include "update/bdfu-update-private.h"

GCancellable *
bdfu_update_job_get_cancellable(BdfuUpdateJob *self)
{
	return self->task != NULL ? g_task_get_cancellable(self->task) : NULL;
}

static void
bdfu_update_job_notification_cb(BdfuConnection *conn, GBytes *value, gpointer user_data)
{
	bdfu_update_job_on_notification(BDFU_UPDATE_JOB(user_data), value);
}

static void
bdfu_update_job_indication_cb(BdfuConnection *conn, GBytes *value, gpointer user_data)
{
	bdfu_update_job_on_indication(BDFU_UPDATE_JOB(user_data), value);
}

static void
bdfu_update_job_writable_cb(BdfuConnection *conn, gpointer user_data)
{
	bdfu_update_job_on_writable(BDFU_UPDATE_JOB(user_data));
}

static void
bdfu_update_job_disconnected_cb(BdfuConnection *conn, guint reason, gpointer user_data)
{
	bdfu_update_job_on_disconnected(BDFU_UPDATE_JOB(user_data), reason);
}

void
bdfu_update_job_attach_connection(BdfuUpdateJob *self, BdfuConnection *conn)
{
	bdfu_update_job_drop_connection(self);
	self->conn = g_object_ref(conn);
	self->sig_notification = g_signal_connect(conn,
						  "notification",
						  G_CALLBACK(bdfu_update_job_notification_cb),
						  self);
	self->sig_indication = g_signal_connect(conn,
						"indication",
						G_CALLBACK(bdfu_update_job_indication_cb),
						self);
	self->sig_writable =
	    g_signal_connect(conn, "writable", G_CALLBACK(bdfu_update_job_writable_cb), self);
	self->sig_disconnected = g_signal_connect(conn,
						  "disconnected",
						  G_CALLBACK(bdfu_update_job_disconnected_cb),
						  self);
}

/* every exit path goes through here: no connection is ever left up */
void
bdfu_update_job_drop_connection(BdfuUpdateJob *self)
{
	BdfuConnection *conn = g_steal_pointer(&self->conn);
	if (conn == NULL)
		return;
	g_clear_signal_handler(&self->sig_notification, conn);
	g_clear_signal_handler(&self->sig_indication, conn);
	g_clear_signal_handler(&self->sig_writable, conn);
	g_clear_signal_handler(&self->sig_disconnected, conn);
	if (bdfu_connection_is_connected(conn))
		bdfu_connection_disconnect_async(conn, NULL, NULL, NULL);
	g_object_unref(conn);
}

void
bdfu_update_job_cancel_timers(BdfuUpdateJob *self)
{
	if (self->response_timer != 0) {
		bdfu_backend_timeout_remove(self->backend, self->response_timer);
		self->response_timer = 0;
	}
	if (self->wait_timer != 0) {
		bdfu_backend_timeout_remove(self->backend, self->wait_timer);
		self->wait_timer = 0;
	}
	if (self->cancel_idle_id != 0) {
		g_source_remove(self->cancel_idle_id);
		self->cancel_idle_id = 0;
	}
}

/* a one-shot wait on the backend's clock; func must clear self->wait_timer and return
 * G_SOURCE_REMOVE */
void
bdfu_update_job_wait(BdfuUpdateJob *self, guint ms, GSourceFunc func)
{
	if (self->wait_timer != 0)
		bdfu_backend_timeout_remove(self->backend, self->wait_timer);
	self->wait_timer = bdfu_backend_timeout_add(self->backend, ms, func, self);
}

static gboolean
bdfu_update_job_cancel_idle_cb(gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	self->cancel_idle_id = 0;
	bdfu_update_job_return_if_cancelled(self);
	return G_SOURCE_REMOVE;
}

/* may run inside g_cancellable_cancel(): defer the teardown to the main loop */
void
bdfu_update_job_cancelled_cb(GCancellable *cancellable, gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	if (self->cancel_idle_id == 0)
		self->cancel_idle_id = g_idle_add(bdfu_update_job_cancel_idle_cb, self);
}
