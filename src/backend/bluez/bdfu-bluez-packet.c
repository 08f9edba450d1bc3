/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bdfu-bluez"

#include "backend/bluez/bdfu-bluez-private.h"
#include "bluedfu/bdfu-error.h"

#include <errno.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The Packet characteristic: datagrams on the AcquireWrite socket (each send() is one ATT
 * Write Command), or WriteValue(type=command) with a bound on calls in flight when BlueZ cannot
 * hand out the socket. Neither path has radio back-pressure (BLUEZ.md §3.8): PRN and the
 * checksums of the DFU protocol catch losses. */

/* the system bus allows 128 pending replies per connection; a small window is enough because
 * bluetoothd answers as soon as the command is queued (BLUEZ.md §3.9) */
#define BDFU_BLUEZ_PACKET_WINDOW 16

struct _BdfuBluezPacket {
	gint refcount;
	GDBusConnection *bus;
	gchar *path;
	gint fd; /* -1 on the WriteValue path */
	guint16 mtu;
	gsize max_payload;
	GSource *out_source;
	GSource *hup_source;
	BdfuBluezPacketFunc writable;
	BdfuBluezPacketFunc hangup;
	gpointer user_data;
	guint in_flight;
	gboolean want_writable;
	gboolean closed; /* the owner let go: no more callbacks */
	gboolean hung_up;
	GError *error; /* a failed command, reported by the next write */
};

static BdfuBluezPacket *
bdfu_bluez_packet_ref(BdfuBluezPacket *self)
{
	self->refcount++;
	return self;
}

static void
bdfu_bluez_packet_drop_sources(BdfuBluezPacket *self)
{
	if (self->out_source != NULL) {
		g_source_destroy(self->out_source);
		g_clear_pointer(&self->out_source, g_source_unref);
	}
	if (self->hup_source != NULL) {
		g_source_destroy(self->hup_source);
		g_clear_pointer(&self->hup_source, g_source_unref);
	}
}

static void
bdfu_bluez_packet_unref(BdfuBluezPacket *self)
{
	if (--self->refcount > 0)
		return;
	bdfu_bluez_packet_drop_sources(self);
	if (self->fd >= 0)
		close(self->fd);
	g_clear_error(&self->error);
	g_object_unref(self->bus);
	g_free(self->path);
	g_free(self);
}

void
bdfu_bluez_packet_free(BdfuBluezPacket *self)
{
	if (self == NULL)
		return;
	self->closed = TRUE;
	bdfu_bluez_packet_drop_sources(self);
	/* closing the fd releases the write lock in bluetoothd */
	if (self->fd >= 0) {
		close(self->fd);
		self->fd = -1;
	}
	bdfu_bluez_packet_unref(self);
}

static void
bdfu_bluez_packet_hangup(BdfuBluezPacket *self)
{
	if (self->hung_up || self->closed)
		return;
	self->hung_up = TRUE;
	bdfu_bluez_packet_drop_sources(self);
	self->hangup(self->user_data);
}

static gboolean
bdfu_bluez_packet_hup_cb(gint fd, GIOCondition condition, gpointer user_data)
{
	BdfuBluezPacket *self = user_data;
	guint8 buf[16];

	/* bluetoothd never writes to this socket: readable means EOF (BLUEZ.md §2.6) */
	if ((condition & G_IO_IN) != 0 && (condition & (G_IO_HUP | G_IO_ERR)) == 0) {
		gssize n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
			return G_SOURCE_CONTINUE;
	}
	bdfu_bluez_packet_ref(self);
	bdfu_bluez_packet_hangup(self);
	bdfu_bluez_packet_unref(self);
	return G_SOURCE_REMOVE;
}

static gboolean
bdfu_bluez_packet_out_cb(gint fd, GIOCondition condition, gpointer user_data)
{
	BdfuBluezPacket *self = user_data;

	g_clear_pointer(&self->out_source, g_source_unref);
	if (self->closed)
		return G_SOURCE_REMOVE;
	bdfu_bluez_packet_ref(self);
	self->writable(self->user_data);
	bdfu_bluez_packet_unref(self);
	return G_SOURCE_REMOVE;
}

static void
bdfu_bluez_packet_watch_out(BdfuBluezPacket *self)
{
	if (self->out_source != NULL)
		return;
	self->out_source = g_unix_fd_source_new(self->fd, G_IO_OUT);
	g_source_set_callback(
	    self->out_source, G_SOURCE_FUNC(bdfu_bluez_packet_out_cb), self, NULL);
	g_source_attach(self->out_source, g_main_context_get_thread_default());
}

guint16
bdfu_bluez_packet_get_mtu(BdfuBluezPacket *self)
{
	return self->mtu;
}

void
bdfu_bluez_packet_set_max_payload(BdfuBluezPacket *self, gsize max_payload)
{
	self->max_payload = max_payload;
}

static void
bdfu_bluez_packet_written_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfuBluezPacket *self = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

	self->in_flight--;
	if (reply == NULL && !self->closed) {
		if (bdfu_bluez_error_is(error, "org.bluez.Error.Failed", "Not connected") ||
		    g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT)) {
			bdfu_bluez_packet_hangup(self);
		} else if (self->error == NULL) {
			self->error = bdfu_bluez_error_convert(error, "Packet write failed", NULL);
		}
	}
	if (!self->closed && self->want_writable &&
	    self->in_flight < BDFU_BLUEZ_PACKET_WINDOW / 2) {
		self->want_writable = FALSE;
		self->writable(self->user_data);
	}
	bdfu_bluez_packet_unref(self);
}

static gboolean
bdfu_bluez_packet_write_value(BdfuBluezPacket *self, const guint8 *buf, gsize len)
{
	GVariantBuilder opts;

	if (self->in_flight >= BDFU_BLUEZ_PACKET_WINDOW) {
		self->want_writable = TRUE;
		return FALSE;
	}
	g_variant_builder_init(&opts, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&opts, "{sv}", "type", g_variant_new_string("command"));
	self->in_flight++;
	g_dbus_connection_call(
	    self->bus,
	    BDFU_BLUEZ_SERVICE,
	    self->path,
	    BDFU_BLUEZ_CHAR_IFACE,
	    "WriteValue",
	    g_variant_new(
		"(@aya{sv})", g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, buf, len, 1), &opts),
	    NULL,
	    G_DBUS_CALL_FLAGS_NONE,
	    BDFU_BLUEZ_REQUEST_MS,
	    NULL,
	    bdfu_bluez_packet_written_cb,
	    bdfu_bluez_packet_ref(self));
	return TRUE;
}

gboolean
bdfu_bluez_packet_write(BdfuBluezPacket *self, const guint8 *buf, gsize len, GError **error)
{
	gssize sent;

	if (self->error != NULL) {
		g_propagate_error(error, g_steal_pointer(&self->error));
		return FALSE;
	}
	if (self->hung_up) {
		g_set_error_literal(
		    error, BDFU_ERROR, BDFU_ERROR_CONNECTION_FAILED, "the device disconnected");
		return FALSE;
	}
	/* bluetoothd silently drops a datagram above MTU-3 (BLUEZ.md §3.3): never send one */
	if (len == 0 || len > self->max_payload) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "a Packet write of %" G_GSIZE_FORMAT " bytes does not fit this link "
			    "(at most %" G_GSIZE_FORMAT " bytes per write)",
			    len,
			    self->max_payload);
		return FALSE;
	}
	if (self->fd < 0)
		return bdfu_bluez_packet_write_value(self, buf, len);

	sent = send(self->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (sent == (gssize)len)
		return TRUE;
	if (sent < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR)) {
		bdfu_bluez_packet_watch_out(self);
		return FALSE;
	}
	if (sent < 0 && (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN)) {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_CONNECTION_FAILED,
				    "the device disconnected (the AcquireWrite socket closed)");
		return FALSE;
	}
	g_set_error(error,
		    BDFU_ERROR,
		    BDFU_ERROR_CONNECTION_FAILED,
		    "Packet write on the AcquireWrite socket failed: %s",
		    sent < 0 ? g_strerror(errno) : "short write");
	return FALSE;
}

/* opening ------------------------------------------------------------------------------------- */

static void
bdfu_bluez_packet_acquired_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	BdfuBluezPacket *self = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GUnixFDList) fds = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_with_unix_fd_list_finish(
	    G_DBUS_CONNECTION(source), &fds, res, &error);
	gint32 handle = -1;
	guint16 mtu = 0;

	if (reply == NULL) {
		/* no socket from this BlueZ (or someone holds it): fall back to WriteValue */
		if (bdfu_bluez_error_is(error, "org.bluez.Error.NotSupported", NULL) ||
		    bdfu_bluez_error_is(error, "org.bluez.Error.NotPermitted", NULL) ||
		    g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
		    g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NOT_SUPPORTED)) {
			g_debug("AcquireWrite unavailable (%s): using WriteValue", error->message);
			g_task_return_pointer(task,
					      bdfu_bluez_packet_ref(self),
					      (GDestroyNotify)bdfu_bluez_packet_free);
			return;
		}
		g_task_return_error(task,
				    bdfu_bluez_error_convert(
					error, "cannot acquire the Packet characteristic", NULL));
		return;
	}
	g_variant_get(reply, "(hq)", &handle, &mtu);
	if (fds == NULL || handle < 0 || handle >= g_unix_fd_list_get_length(fds)) {
		g_task_return_new_error(task,
					BDFU_ERROR,
					BDFU_ERROR_PROTOCOL,
					"AcquireWrite returned no file descriptor");
		return;
	}
	self->fd = g_unix_fd_list_get(fds, handle, &error);
	if (self->fd < 0 || !g_unix_set_fd_nonblocking(self->fd, TRUE, &error)) {
		g_task_return_new_error(task,
					BDFU_ERROR,
					BDFU_ERROR_FAILED,
					"cannot use the AcquireWrite socket: %s",
					error->message);
		return;
	}
	/* the reply carries the ATT MTU: a write holds at most mtu - 3 bytes (BLUEZ.md §3.3) */
	self->mtu = MAX(mtu, 23);
	self->max_payload = MIN(self->mtu - 3, 512);
	self->hup_source = g_unix_fd_source_new(self->fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
	g_source_set_callback(
	    self->hup_source, G_SOURCE_FUNC(bdfu_bluez_packet_hup_cb), self, NULL);
	g_source_attach(self->hup_source, g_main_context_get_thread_default());
	g_task_return_pointer(
	    task, bdfu_bluez_packet_ref(self), (GDestroyNotify)bdfu_bluez_packet_free);
}

void
bdfu_bluez_packet_open_async(GDBusConnection *bus,
			     const gchar *char_path,
			     BdfuBluezPacketFunc writable,
			     BdfuBluezPacketFunc hangup,
			     gpointer user_data,
			     GCancellable *cancellable,
			     GAsyncReadyCallback callback,
			     gpointer callback_data)
{
	GTask *task = g_task_new(NULL, cancellable, callback, callback_data);
	BdfuBluezPacket *self = g_new0(BdfuBluezPacket, 1);

	self->refcount = 1;
	self->bus = g_object_ref(bus);
	self->path = g_strdup(char_path);
	self->fd = -1;
	self->max_payload = 20;
	self->writable = writable;
	self->hangup = hangup;
	self->user_data = user_data;
	g_task_set_task_data(task, self, (GDestroyNotify)bdfu_bluez_packet_unref);
	g_dbus_connection_call_with_unix_fd_list(bus,
						 BDFU_BLUEZ_SERVICE,
						 char_path,
						 BDFU_BLUEZ_CHAR_IFACE,
						 "AcquireWrite",
						 g_variant_new_parsed("(@a{sv} {},)"),
						 G_VARIANT_TYPE("(hq)"),
						 G_DBUS_CALL_FLAGS_NONE,
						 BDFU_BLUEZ_REQUEST_MS,
						 NULL,
						 cancellable,
						 bdfu_bluez_packet_acquired_cb,
						 task);
}

BdfuBluezPacket *
bdfu_bluez_packet_open_finish(GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}
