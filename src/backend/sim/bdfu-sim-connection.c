/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bdfu-sim"

#include "backend/sim/bdfu-sim-private.h"
#include "bluedfu/bdfu-error.h"

/* A connection to a simulated device is a BdfuLink. The link's callbacks arrive while the
 * world advances (or inside a host write); they are only queued here and delivered by the
 * backend's flush, so a signal handler may call back into the link safely. */

#define BDFU_SIM_HOST_DISCONNECT 0x16 /* HCI: connection terminated by local host */

typedef enum {
	BDFU_SIM_EVENT_READY,
	BDFU_SIM_EVENT_NOTIFICATION,
	BDFU_SIM_EVENT_INDICATION,
	BDFU_SIM_EVENT_CTRL_WRITTEN,
	BDFU_SIM_EVENT_WRITABLE,
	BDFU_SIM_EVENT_DISCONNECTED,
	BDFU_SIM_EVENT_CANCEL,	 /* the connect was cancelled */
	BDFU_SIM_EVENT_COMPLETE, /* a task done: TRUE, or a string when `text` is set */
} BdfuSimEventKind;

typedef struct {
	BdfuSimEventKind kind;
	GBytes *value;
	guint8 status; /* ATT status, or the HCI reason */
	GTask *task;
	gchar *text;
	gboolean has_text;
} BdfuSimEvent;

struct _BdfuSimConnection {
	BdfuConnection parent_instance;
	BdfuSimBackend *backend;
	BdfuSimDevice *dev;
	gchar address[18];
	BdfuLink *link; /* NULL once down */
	guint mode;	/* BdfuDeviceMode, frozen once down */
	GTask *connect_task;
	GCancellable *connect_cancellable;
	gulong connect_cancel_id;
	GQueue events;	    /* BdfuSimEvent* */
	GQueue write_tasks; /* GTask* waiting for their Write Response */
	GPtrArray *disconnect_tasks;
};

G_DEFINE_TYPE(BdfuSimConnection, bdfu_sim_connection, BDFU_TYPE_CONNECTION)

static void
bdfu_sim_event_free(BdfuSimEvent *event)
{
	if (event->value != NULL)
		g_bytes_unref(event->value);
	g_clear_object(&event->task);
	g_free(event->text);
	g_free(event);
}

static BdfuSimEvent *
bdfu_sim_connection_queue(BdfuSimConnection *self, BdfuSimEventKind kind)
{
	BdfuSimEvent *event = g_new0(BdfuSimEvent, 1);
	event->kind = kind;
	g_queue_push_tail(&self->events, event);
	bdfu_sim_clock_kick(bdfu_sim_backend_get_clock(self->backend));
	return event;
}

static void
bdfu_sim_connection_complete_later(BdfuSimConnection *self,
				   GTask *task,
				   const gchar *text,
				   gboolean has_text)
{
	BdfuSimEvent *event = bdfu_sim_connection_queue(self, BDFU_SIM_EVENT_COMPLETE);
	event->task = g_object_ref(task);
	event->text = g_strdup(text);
	event->has_text = has_text;
}

static guint
bdfu_sim_connection_mode_now(BdfuSimConnection *self)
{
	switch (bdfu_target_get_mode(self->dev->target)) {
	case BDFU_TARGET_MODE_APP:
		return bdfu_target_is_bonded(self->dev->target)
			   ? BDFU_DEVICE_MODE_APP_BUTTONLESS_BONDED
			   : BDFU_DEVICE_MODE_APP_BUTTONLESS;
	case BDFU_TARGET_MODE_DFU:
		return BDFU_DEVICE_MODE_DFU;
	default:
		return BDFU_DEVICE_MODE_UNKNOWN;
	}
}

/* link callbacks: queue only ------------------------------------------------------------------- */

static void
bdfu_sim_link_ready(gpointer user_data)
{
	bdfu_sim_connection_queue(user_data, BDFU_SIM_EVENT_READY);
}

static void
bdfu_sim_link_notification(gpointer user_data, const guint8 *buf, gsize len)
{
	BdfuSimEvent *event = bdfu_sim_connection_queue(user_data, BDFU_SIM_EVENT_NOTIFICATION);
	event->value = g_bytes_new(buf, len);
}

static void
bdfu_sim_link_indication(gpointer user_data, const guint8 *buf, gsize len)
{
	BdfuSimEvent *event = bdfu_sim_connection_queue(user_data, BDFU_SIM_EVENT_INDICATION);
	event->value = g_bytes_new(buf, len);
}

static void
bdfu_sim_link_ctrl_written(gpointer user_data, guint8 att_status)
{
	BdfuSimEvent *event = bdfu_sim_connection_queue(user_data, BDFU_SIM_EVENT_CTRL_WRITTEN);
	event->status = att_status;
}

static void
bdfu_sim_link_writable(gpointer user_data)
{
	BdfuSimConnection *self = user_data;
	BdfuSimEvent *last = g_queue_peek_tail(&self->events);
	if (last != NULL && last->kind == BDFU_SIM_EVENT_WRITABLE)
		return;
	bdfu_sim_connection_queue(self, BDFU_SIM_EVENT_WRITABLE);
}

static void
bdfu_sim_link_disconnected(gpointer user_data, guint8 reason)
{
	BdfuSimEvent *event = bdfu_sim_connection_queue(user_data, BDFU_SIM_EVENT_DISCONNECTED);
	event->status = reason;
}

static const BdfuLinkCallbacks bdfu_sim_link_callbacks = {
    .ready = bdfu_sim_link_ready,
    .notification = bdfu_sim_link_notification,
    .indication = bdfu_sim_link_indication,
    .ctrl_written = bdfu_sim_link_ctrl_written,
    .writable = bdfu_sim_link_writable,
    .disconnected = bdfu_sim_link_disconnected,
};

/* delivery ------------------------------------------------------------------------------------- */

static GError *
bdfu_sim_connection_lost_error(BdfuSimConnection *self)
{
	return g_error_new(BDFU_ERROR,
			   BDFU_ERROR_CONNECTION_FAILED,
			   "the connection to %s is down",
			   self->address);
}

/* the link refuses a write when it is down, or when the value does not fit in MTU - 3 */
static GError *
bdfu_sim_connection_write_error(BdfuSimConnection *self, gsize len)
{
	guint16 mtu = bdfu_link_get_mtu(self->link);
	if (bdfu_link_is_connected(self->link) && (len == 0 || len + 3 > mtu))
		return g_error_new(BDFU_ERROR,
				   BDFU_ERROR_INVALID_ARGUMENT,
				   "a write of %" G_GSIZE_FORMAT
				   " bytes does not fit the ATT MTU of "
				   "%u (1 to %u bytes)",
				   len,
				   mtu,
				   (guint)mtu - 3);
	return bdfu_sim_connection_lost_error(self);
}

static void
bdfu_sim_connection_finish_connect(BdfuSimConnection *self, GError *error)
{
	g_autoptr(GTask) task = g_steal_pointer(&self->connect_task);
	if (self->connect_cancellable != NULL) {
		g_cancellable_disconnect(self->connect_cancellable, self->connect_cancel_id);
		g_clear_object(&self->connect_cancellable);
	}
	if (task == NULL) {
		g_clear_error(&error);
		return;
	}
	/* the reference held while connecting goes to the caller, or away (callers hold one) */
	if (error != NULL) {
		g_task_return_error(task, error);
		g_object_unref(self);
	} else {
		g_task_return_pointer(task, self, g_object_unref);
	}
}

/* the link is gone, whoever dropped it */
static void
bdfu_sim_connection_down(BdfuSimConnection *self, guint8 reason)
{
	g_autoptr(GPtrArray) disconnects = g_steal_pointer(&self->disconnect_tasks);
	GTask *task;

	if (self->link == NULL)
		return;
	self->mode = bdfu_sim_connection_mode_now(self);
	g_clear_pointer(&self->link, bdfu_link_free);
	bdfu_sim_backend_connection_gone(self->backend, self);
	self->disconnect_tasks = g_ptr_array_new_with_free_func(g_object_unref);

	/* the signal first: whoever sees a failed write then already knows the link is gone */
	bdfu_connection_emit_disconnected(BDFU_CONNECTION(self), reason);
	if (self->connect_task != NULL)
		bdfu_sim_connection_finish_connect(
		    self,
		    g_error_new(BDFU_ERROR,
				BDFU_ERROR_CONNECTION_FAILED,
				"%s dropped the connection while it was being set up (reason "
				"0x%02X)",
				self->address,
				reason));
	while ((task = g_queue_pop_head(&self->write_tasks)) != NULL) {
		g_task_return_error(task, bdfu_sim_connection_lost_error(self));
		g_object_unref(task);
	}
	for (guint i = 0; disconnects != NULL && i < disconnects->len; i++)
		g_task_return_boolean(g_ptr_array_index(disconnects, i), TRUE);
}

static void
bdfu_sim_connection_deliver(BdfuSimConnection *self, BdfuSimEvent *event)
{
	BdfuConnection *conn = BDFU_CONNECTION(self);
	gconstpointer data;
	gsize len = 0;
	GTask *task;

	if (event->kind == BDFU_SIM_EVENT_COMPLETE) {
		if (self->link == NULL)
			g_task_return_error(event->task, bdfu_sim_connection_lost_error(self));
		else if (event->has_text)
			g_task_return_pointer(event->task, g_steal_pointer(&event->text), g_free);
		else
			g_task_return_boolean(event->task, TRUE);
		return;
	}
	if (self->link == NULL)
		return;
	switch (event->kind) {
	case BDFU_SIM_EVENT_READY:
		self->mode = bdfu_sim_connection_mode_now(self);
		bdfu_sim_connection_finish_connect(self, NULL);
		break;
	case BDFU_SIM_EVENT_CANCEL:
		if (self->connect_task == NULL)
			break;
		bdfu_sim_connection_finish_connect(self,
						   g_error_new_literal(BDFU_ERROR,
								       BDFU_ERROR_CANCELLED,
								       "connecting was cancelled"));
		bdfu_link_disconnect(self->link);
		bdfu_sim_connection_down(self, BDFU_SIM_HOST_DISCONNECT);
		break;
	case BDFU_SIM_EVENT_NOTIFICATION:
		data = g_bytes_get_data(event->value, &len);
		bdfu_connection_emit_notification(conn, data, len);
		break;
	case BDFU_SIM_EVENT_INDICATION:
		data = g_bytes_get_data(event->value, &len);
		bdfu_connection_emit_indication(conn, data, len);
		break;
	case BDFU_SIM_EVENT_CTRL_WRITTEN:
		task = g_queue_pop_head(&self->write_tasks);
		if (task == NULL)
			break;
		if (event->status == 0)
			g_task_return_boolean(task, TRUE);
		else
			g_task_return_new_error(task,
						BDFU_ERROR,
						BDFU_ERROR_PROTOCOL,
						"%s answered the write with ATT error 0x%02X%s",
						self->address,
						event->status,
						event->status == 0xFD
						    ? " (notifications or indications not enabled)"
						    : "");
		g_object_unref(task);
		break;
	case BDFU_SIM_EVENT_WRITABLE:
		bdfu_connection_emit_writable(conn);
		break;
	case BDFU_SIM_EVENT_DISCONNECTED:
		bdfu_sim_connection_down(self, event->status);
		break;
	default:
		break;
	}
}

gboolean
bdfu_sim_connection_flush(BdfuSimConnection *self)
{
	BdfuSimEvent *event;
	gboolean delivered = FALSE;

	g_object_ref(self);
	while ((event = g_queue_pop_head(&self->events)) != NULL) {
		bdfu_sim_connection_deliver(self, event);
		bdfu_sim_event_free(event);
		delivered = TRUE;
	}
	g_object_unref(self);
	return delivered;
}

BdfuLink *
bdfu_sim_connection_get_link(BdfuSimConnection *self)
{
	return self->link;
}

/* may run inside g_cancellable_cancel(): queue it */
static void
bdfu_sim_connection_connect_cancelled(GCancellable *cancellable, gpointer user_data)
{
	bdfu_sim_connection_queue(user_data, BDFU_SIM_EVENT_CANCEL);
}

BdfuSimConnection *
bdfu_sim_connection_new(BdfuSimBackend *backend,
			BdfuSimDevice *dev,
			const gchar *address,
			GTask *connect_task)
{
	BdfuSimConnection *self = g_object_new(BDFU_TYPE_SIM_CONNECTION, NULL);
	BdfuSimClock *clock = bdfu_sim_backend_get_clock(backend);
	GCancellable *cancellable = g_task_get_cancellable(connect_task);

	self->backend = g_object_ref(backend);
	self->dev = dev;
	g_strlcpy(self->address, address, sizeof(self->address));
	self->mode = bdfu_sim_connection_mode_now(self);
	self->link = bdfu_link_new(dev->target,
				   &dev->link_config,
				   bdfu_sim_clock_now(clock),
				   dev->faults,
				   dev->n_faults,
				   &bdfu_sim_link_callbacks,
				   self);
	if (self->link == NULL) {
		g_task_return_new_error(
		    connect_task,
		    BDFU_ERROR,
		    BDFU_ERROR_CONNECTION_FAILED,
		    "%s did not accept the connection (a bonded bootloader only "
		    "takes its bonded peer)",
		    address);
		/* events the link queued before refusing are of no use */
		g_queue_clear_full(&self->events, (GDestroyNotify)bdfu_sim_event_free);
		g_object_unref(self);
		return NULL;
	}
	self->connect_task = g_object_ref(connect_task);
	if (cancellable != NULL) {
		self->connect_cancellable = g_object_ref(cancellable);
		self->connect_cancel_id = g_cancellable_connect(
		    cancellable, G_CALLBACK(bdfu_sim_connection_connect_cancelled), self, NULL);
	}
	return self;
}

/* the BdfuConnection methods ------------------------------------------------------------------- */

static guint
bdfu_sim_connection_get_mode(BdfuConnection *conn)
{
	BdfuSimConnection *self = BDFU_SIM_CONNECTION(conn);
	return self->link != NULL ? bdfu_sim_connection_mode_now(self) : self->mode;
}

static const gchar *
bdfu_sim_connection_get_address(BdfuConnection *conn)
{
	return BDFU_SIM_CONNECTION(conn)->address;
}

static guint16
bdfu_sim_connection_get_mtu(BdfuConnection *conn)
{
	BdfuSimConnection *self = BDFU_SIM_CONNECTION(conn);
	return self->link != NULL ? bdfu_link_get_mtu(self->link) : 23;
}

/* a new task on this connection; NULL (already failed) when the link is down */
static GTask *
bdfu_sim_connection_task(BdfuSimConnection *self,
			 gpointer tag,
			 GCancellable *cancellable,
			 GAsyncReadyCallback callback,
			 gpointer user_data)
{
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	g_task_set_source_tag(task, tag);
	g_task_set_check_cancellable(task, FALSE);
	if (self->link == NULL) {
		g_task_return_error(task, bdfu_sim_connection_lost_error(self));
		g_object_unref(task);
		return NULL;
	}
	return task;
}

static gboolean
bdfu_sim_connection_check_mode(BdfuSimConnection *self, GTask *task, gboolean want_dfu)
{
	guint mode = bdfu_sim_connection_mode_now(self);
	if (want_dfu && mode != BDFU_DEVICE_MODE_DFU) {
		g_task_return_new_error(task,
					BDFU_ERROR,
					BDFU_ERROR_NOT_SUPPORTED,
					"%s is not in DFU mode: it has no DFU Control Point",
					self->address);
		return FALSE;
	}
	if (!want_dfu && !bdfu_device_mode_is_app(mode)) {
		g_task_return_new_error(task,
					BDFU_ERROR,
					BDFU_ERROR_NOT_SUPPORTED,
					"%s is not running its application: it has no buttonless "
					"DFU characteristic",
					self->address);
		return FALSE;
	}
	return TRUE;
}

static void
bdfu_sim_connection_enable_dfu_async(BdfuConnection *conn,
				     GCancellable *cancellable,
				     GAsyncReadyCallback callback,
				     gpointer user_data)
{
	BdfuSimConnection *self = BDFU_SIM_CONNECTION(conn);
	g_autoptr(GTask) task = bdfu_sim_connection_task(
	    self, bdfu_sim_connection_enable_dfu_async, cancellable, callback, user_data);
	if (task == NULL || !bdfu_sim_connection_check_mode(self, task, TRUE))
		return;
	if (!bdfu_link_enable_notifications(self->link)) {
		g_task_return_error(task, bdfu_sim_connection_lost_error(self));
		return;
	}
	bdfu_sim_connection_complete_later(self, task, NULL, FALSE);
}

static gboolean
bdfu_sim_connection_bool_finish(BdfuConnection *conn, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(res, conn), FALSE);
	return g_task_propagate_boolean(G_TASK(res), error);
}

static void
bdfu_sim_connection_write_ctrl_async(BdfuConnection *conn,
				     GBytes *value,
				     GCancellable *cancellable,
				     GAsyncReadyCallback callback,
				     gpointer user_data)
{
	BdfuSimConnection *self = BDFU_SIM_CONNECTION(conn);
	g_autoptr(GTask) task = bdfu_sim_connection_task(
	    self, bdfu_sim_connection_write_ctrl_async, cancellable, callback, user_data);
	gsize len = 0;
	const guint8 *buf = g_bytes_get_data(value, &len);

	if (task == NULL)
		return;
	if (!bdfu_link_write_ctrl(self->link, buf, len)) {
		g_task_return_error(task, bdfu_sim_connection_write_error(self, len));
		return;
	}
	g_queue_push_tail(&self->write_tasks, g_steal_pointer(&task));
	bdfu_sim_clock_kick(bdfu_sim_backend_get_clock(self->backend));
}

static gboolean
bdfu_sim_connection_write_data(BdfuConnection *conn, const guint8 *buf, gsize len, GError **error)
{
	BdfuSimConnection *self = BDFU_SIM_CONNECTION(conn);
	gboolean queue_full = FALSE;

	if (self->link == NULL) {
		g_propagate_error(error, bdfu_sim_connection_lost_error(self));
		return FALSE;
	}
	bdfu_sim_clock_kick(bdfu_sim_backend_get_clock(self->backend));
	if (bdfu_link_write_data(self->link, buf, len, &queue_full))
		return TRUE;
	if (queue_full)
		return FALSE;
	g_propagate_error(error, bdfu_sim_connection_write_error(self, len));
	return FALSE;
}

static void
bdfu_sim_connection_enable_buttonless_async(BdfuConnection *conn,
					    GCancellable *cancellable,
					    GAsyncReadyCallback callback,
					    gpointer user_data)
{
	BdfuSimConnection *self = BDFU_SIM_CONNECTION(conn);
	g_autoptr(GTask) task = bdfu_sim_connection_task(
	    self, bdfu_sim_connection_enable_buttonless_async, cancellable, callback, user_data);
	if (task == NULL || !bdfu_sim_connection_check_mode(self, task, FALSE))
		return;
	if (!bdfu_link_enable_indications(self->link)) {
		g_task_return_error(task, bdfu_sim_connection_lost_error(self));
		return;
	}
	bdfu_sim_connection_complete_later(self, task, NULL, FALSE);
}

static void
bdfu_sim_connection_write_buttonless_async(BdfuConnection *conn,
					   GBytes *value,
					   GCancellable *cancellable,
					   GAsyncReadyCallback callback,
					   gpointer user_data)
{
	BdfuSimConnection *self = BDFU_SIM_CONNECTION(conn);
	g_autoptr(GTask) task = bdfu_sim_connection_task(
	    self, bdfu_sim_connection_write_buttonless_async, cancellable, callback, user_data);
	gsize len = 0;
	const guint8 *buf = g_bytes_get_data(value, &len);

	if (task == NULL || !bdfu_sim_connection_check_mode(self, task, FALSE))
		return;
	if (!bdfu_link_write_buttonless(self->link, buf, len)) {
		g_task_return_error(task, bdfu_sim_connection_write_error(self, len));
		return;
	}
	/* a Write Request like the Control Point's: answered in order by ctrl_written */
	g_queue_push_tail(&self->write_tasks, g_steal_pointer(&task));
	bdfu_sim_clock_kick(bdfu_sim_backend_get_clock(self->backend));
}

static void
bdfu_sim_connection_read_fw_revision_async(BdfuConnection *conn,
					   GCancellable *cancellable,
					   GAsyncReadyCallback callback,
					   gpointer user_data)
{
	BdfuSimConnection *self = BDFU_SIM_CONNECTION(conn);
	g_autoptr(GTask) task = bdfu_sim_connection_task(
	    self, bdfu_sim_connection_read_fw_revision_async, cancellable, callback, user_data);
	g_autofree gchar *revision = NULL;

	if (task == NULL)
		return;
	/* the bootloader has no Device Information Service */
	if (bdfu_device_mode_is_app(bdfu_sim_connection_mode_now(self)))
		revision =
		    g_strdup_printf("app v%u", bdfu_target_get_app_version(self->dev->target));
	bdfu_sim_connection_complete_later(self, task, revision, TRUE);
}

static gchar *
bdfu_sim_connection_read_fw_revision_finish(BdfuConnection *conn, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(res, conn), NULL);
	return g_task_propagate_pointer(G_TASK(res), error);
}

static void
bdfu_sim_connection_disconnect_async(BdfuConnection *conn,
				     GCancellable *cancellable,
				     GAsyncReadyCallback callback,
				     gpointer user_data)
{
	BdfuSimConnection *self = BDFU_SIM_CONNECTION(conn);
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	BdfuSimEvent *event;

	g_task_set_source_tag(task, bdfu_sim_connection_disconnect_async);
	g_task_set_check_cancellable(task, FALSE);
	if (self->link == NULL) {
		g_task_return_boolean(task, TRUE);
		return;
	}
	g_ptr_array_add(self->disconnect_tasks, g_steal_pointer(&task));
	bdfu_link_disconnect(self->link);
	/* the link may or may not report its own end: the first report wins */
	event = bdfu_sim_connection_queue(self, BDFU_SIM_EVENT_DISCONNECTED);
	event->status = BDFU_SIM_HOST_DISCONNECT;
}

static void
bdfu_sim_connection_finalize(GObject *object)
{
	BdfuSimConnection *self = BDFU_SIM_CONNECTION(object);

	if (self->link != NULL) {
		bdfu_link_disconnect(self->link);
		g_clear_pointer(&self->link, bdfu_link_free);
		bdfu_sim_backend_connection_gone(self->backend, self);
	}
	g_queue_clear_full(&self->events, (GDestroyNotify)bdfu_sim_event_free);
	g_queue_clear_full(&self->write_tasks, g_object_unref);
	g_ptr_array_unref(self->disconnect_tasks);
	g_clear_object(&self->backend);
	G_OBJECT_CLASS(bdfu_sim_connection_parent_class)->finalize(object);
}

static void
bdfu_sim_connection_init(BdfuSimConnection *self)
{
	g_queue_init(&self->events);
	g_queue_init(&self->write_tasks);
	self->disconnect_tasks = g_ptr_array_new_with_free_func(g_object_unref);
}

static void
bdfu_sim_connection_class_init(BdfuSimConnectionClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	BdfuConnectionClass *conn_class = BDFU_CONNECTION_CLASS(klass);

	object_class->finalize = bdfu_sim_connection_finalize;
	conn_class->get_mode = bdfu_sim_connection_get_mode;
	conn_class->get_address = bdfu_sim_connection_get_address;
	conn_class->get_mtu = bdfu_sim_connection_get_mtu;
	conn_class->enable_dfu_async = bdfu_sim_connection_enable_dfu_async;
	conn_class->enable_dfu_finish = bdfu_sim_connection_bool_finish;
	conn_class->write_ctrl_async = bdfu_sim_connection_write_ctrl_async;
	conn_class->write_ctrl_finish = bdfu_sim_connection_bool_finish;
	conn_class->write_data = bdfu_sim_connection_write_data;
	conn_class->enable_buttonless_async = bdfu_sim_connection_enable_buttonless_async;
	conn_class->enable_buttonless_finish = bdfu_sim_connection_bool_finish;
	conn_class->write_buttonless_async = bdfu_sim_connection_write_buttonless_async;
	conn_class->write_buttonless_finish = bdfu_sim_connection_bool_finish;
	conn_class->read_fw_revision_async = bdfu_sim_connection_read_fw_revision_async;
	conn_class->read_fw_revision_finish = bdfu_sim_connection_read_fw_revision_finish;
	conn_class->disconnect_async = bdfu_sim_connection_disconnect_async;
	conn_class->disconnect_finish = bdfu_sim_connection_bool_finish;
}
