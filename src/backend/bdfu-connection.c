/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "backend/bdfu-connection.h"

#include "bluedfu/bdfu-error.h"

typedef struct {
	gboolean disconnected;
} BdfuConnectionPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE(BdfuConnection, bdfu_connection, G_TYPE_OBJECT)
#define GET_PRIVATE(o) (bdfu_connection_get_instance_private(o))

enum { SIGNAL_NOTIFICATION, SIGNAL_INDICATION, SIGNAL_WRITABLE, SIGNAL_DISCONNECTED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

static void
bdfu_connection_class_init(BdfuConnectionClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	signals[SIGNAL_NOTIFICATION] = g_signal_new("notification",
						    G_TYPE_FROM_CLASS(object_class),
						    G_SIGNAL_RUN_LAST,
						    0,
						    NULL,
						    NULL,
						    NULL,
						    G_TYPE_NONE,
						    1,
						    G_TYPE_BYTES);
	signals[SIGNAL_INDICATION] = g_signal_new("indication",
						  G_TYPE_FROM_CLASS(object_class),
						  G_SIGNAL_RUN_LAST,
						  0,
						  NULL,
						  NULL,
						  NULL,
						  G_TYPE_NONE,
						  1,
						  G_TYPE_BYTES);
	signals[SIGNAL_WRITABLE] = g_signal_new("writable",
						G_TYPE_FROM_CLASS(object_class),
						G_SIGNAL_RUN_LAST,
						0,
						NULL,
						NULL,
						NULL,
						G_TYPE_NONE,
						0);
	signals[SIGNAL_DISCONNECTED] = g_signal_new("disconnected",
						    G_TYPE_FROM_CLASS(object_class),
						    G_SIGNAL_RUN_LAST,
						    0,
						    NULL,
						    NULL,
						    NULL,
						    G_TYPE_NONE,
						    1,
						    G_TYPE_UINT);
}

static void
bdfu_connection_init(BdfuConnection *self)
{
}

#define CLASS(self) BDFU_CONNECTION_GET_CLASS(self)

guint
bdfu_connection_get_mode(BdfuConnection *self)
{
	return CLASS(self)->get_mode(self);
}

const gchar *
bdfu_connection_get_address(BdfuConnection *self)
{
	return CLASS(self)->get_address(self);
}

guint16
bdfu_connection_get_mtu(BdfuConnection *self)
{
	return CLASS(self)->get_mtu(self);
}

gboolean
bdfu_connection_is_connected(BdfuConnection *self)
{
	BdfuConnectionPrivate *priv = GET_PRIVATE(self);
	return !priv->disconnected;
}

void
bdfu_connection_enable_dfu_async(BdfuConnection *self,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data)
{
	CLASS(self)->enable_dfu_async(self, cancellable, callback, user_data);
}

gboolean
bdfu_connection_enable_dfu_finish(BdfuConnection *self, GAsyncResult *res, GError **error)
{
	return CLASS(self)->enable_dfu_finish(self, res, error);
}

void
bdfu_connection_write_ctrl_async(BdfuConnection *self,
				 GBytes *value,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data)
{
	CLASS(self)->write_ctrl_async(self, value, cancellable, callback, user_data);
}

gboolean
bdfu_connection_write_ctrl_finish(BdfuConnection *self, GAsyncResult *res, GError **error)
{
	return CLASS(self)->write_ctrl_finish(self, res, error);
}

gboolean
bdfu_connection_write_data(BdfuConnection *self, const guint8 *buf, gsize len, GError **error)
{
	BdfuConnectionPrivate *priv = GET_PRIVATE(self);
	if (priv->disconnected) {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_CONNECTION_FAILED,
				    "the device disconnected");
		return FALSE;
	}
	return CLASS(self)->write_data(self, buf, len, error);
}

void
bdfu_connection_enable_buttonless_async(BdfuConnection *self,
					GCancellable *cancellable,
					GAsyncReadyCallback callback,
					gpointer user_data)
{
	CLASS(self)->enable_buttonless_async(self, cancellable, callback, user_data);
}

gboolean
bdfu_connection_enable_buttonless_finish(BdfuConnection *self, GAsyncResult *res, GError **error)
{
	return CLASS(self)->enable_buttonless_finish(self, res, error);
}

void
bdfu_connection_write_buttonless_async(BdfuConnection *self,
				       GBytes *value,
				       GCancellable *cancellable,
				       GAsyncReadyCallback callback,
				       gpointer user_data)
{
	CLASS(self)->write_buttonless_async(self, value, cancellable, callback, user_data);
}

gboolean
bdfu_connection_write_buttonless_finish(BdfuConnection *self, GAsyncResult *res, GError **error)
{
	return CLASS(self)->write_buttonless_finish(self, res, error);
}

void
bdfu_connection_read_fw_revision_async(BdfuConnection *self,
				       GCancellable *cancellable,
				       GAsyncReadyCallback callback,
				       gpointer user_data)
{
	CLASS(self)->read_fw_revision_async(self, cancellable, callback, user_data);
}

gchar *
bdfu_connection_read_fw_revision_finish(BdfuConnection *self, GAsyncResult *res, GError **error)
{
	return CLASS(self)->read_fw_revision_finish(self, res, error);
}

void
bdfu_connection_disconnect_async(BdfuConnection *self,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data)
{
	CLASS(self)->disconnect_async(self, cancellable, callback, user_data);
}

gboolean
bdfu_connection_disconnect_finish(BdfuConnection *self, GAsyncResult *res, GError **error)
{
	return CLASS(self)->disconnect_finish(self, res, error);
}

void
bdfu_connection_emit_notification(BdfuConnection *self, const guint8 *buf, gsize len)
{
	g_autoptr(GBytes) bytes = g_bytes_new(buf, len);
	g_signal_emit(self, signals[SIGNAL_NOTIFICATION], 0, bytes);
}

void
bdfu_connection_emit_indication(BdfuConnection *self, const guint8 *buf, gsize len)
{
	g_autoptr(GBytes) bytes = g_bytes_new(buf, len);
	g_signal_emit(self, signals[SIGNAL_INDICATION], 0, bytes);
}

void
bdfu_connection_emit_writable(BdfuConnection *self)
{
	g_signal_emit(self, signals[SIGNAL_WRITABLE], 0);
}

void
bdfu_connection_emit_disconnected(BdfuConnection *self, guint reason)
{
	BdfuConnectionPrivate *priv = GET_PRIVATE(self);
	if (priv->disconnected)
		return;
	priv->disconnected = TRUE;
	g_signal_emit(self, signals[SIGNAL_DISCONNECTED], 0, reason);
}
