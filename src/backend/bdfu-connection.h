/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* One live connection to a device, services resolved. Signals:
 *   "notification" (GBytes *value)   DFU Control Point notification
 *   "indication"   (GBytes *value)   buttonless characteristic indication (already confirmed)
 *   "writable"     ()                the Packet path can take data again
 *   "disconnected" (guint reason)    the link is gone (HCI reason or 0 if unknown); emitted once
 * Every method on a disconnected connection fails with BDFU_ERROR_CONNECTION_FAILED. */

#define BDFU_TYPE_CONNECTION (bdfu_connection_get_type())
G_DECLARE_DERIVABLE_TYPE(BdfuConnection, bdfu_connection, BDFU, CONNECTION, GObject)

struct _BdfuConnectionClass {
	GObjectClass parent_class;

	/* which services the device exposes now (BdfuDeviceMode) */
	guint (*get_mode)(BdfuConnection *self);
	const gchar *(*get_address)(BdfuConnection *self);
	/* ATT MTU of the link; Packet writes are at most mtu - 3 */
	guint16 (*get_mtu)(BdfuConnection *self);

	/* enable Control Point notifications (StartNotify) */
	void (*enable_dfu_async)(BdfuConnection *self,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data);
	gboolean (*enable_dfu_finish)(BdfuConnection *self, GAsyncResult *res, GError **error);

	/* Control Point Write Request; the answer comes as a "notification" signal, possibly
	 * before this call completes */
	void (*write_ctrl_async)(BdfuConnection *self,
				 GBytes *value,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data);
	gboolean (*write_ctrl_finish)(BdfuConnection *self, GAsyncResult *res, GError **error);

	/* Packet Write Without Response: TRUE when queued; FALSE without error when full (wait
	 * for "writable"); FALSE with error when the link failed */
	gboolean (*write_data)(BdfuConnection *self, const guint8 *buf, gsize len, GError **error);

	/* buttonless: enable indications, then write a request (01 enter / 02 set name) */
	void (*enable_buttonless_async)(BdfuConnection *self,
					GCancellable *cancellable,
					GAsyncReadyCallback callback,
					gpointer user_data);
	gboolean (*enable_buttonless_finish)(BdfuConnection *self,
					     GAsyncResult *res,
					     GError **error);
	void (*write_buttonless_async)(BdfuConnection *self,
				       GBytes *value,
				       GCancellable *cancellable,
				       GAsyncReadyCallback callback,
				       gpointer user_data);
	gboolean (*write_buttonless_finish)(BdfuConnection *self, GAsyncResult *res, GError **error);

	/* Device Information Service firmware revision, NULL if absent (no error) */
	void (*read_fw_revision_async)(BdfuConnection *self,
				       GCancellable *cancellable,
				       GAsyncReadyCallback callback,
				       gpointer user_data);
	gchar *(*read_fw_revision_finish)(BdfuConnection *self, GAsyncResult *res, GError **error);

	/* host-initiated disconnect; completes when the link is down. Idempotent. */
	void (*disconnect_async)(BdfuConnection *self,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data);
	gboolean (*disconnect_finish)(BdfuConnection *self, GAsyncResult *res, GError **error);
};

guint
bdfu_connection_get_mode(BdfuConnection *self);
const gchar *
bdfu_connection_get_address(BdfuConnection *self);
guint16
bdfu_connection_get_mtu(BdfuConnection *self);
void
bdfu_connection_enable_dfu_async(BdfuConnection *self,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data);
gboolean
bdfu_connection_enable_dfu_finish(BdfuConnection *self, GAsyncResult *res, GError **error);
void
bdfu_connection_write_ctrl_async(BdfuConnection *self,
				 GBytes *value,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data);
gboolean
bdfu_connection_write_ctrl_finish(BdfuConnection *self, GAsyncResult *res, GError **error);
gboolean
bdfu_connection_write_data(BdfuConnection *self, const guint8 *buf, gsize len, GError **error);
void
bdfu_connection_enable_buttonless_async(BdfuConnection *self,
					GCancellable *cancellable,
					GAsyncReadyCallback callback,
					gpointer user_data);
gboolean
bdfu_connection_enable_buttonless_finish(BdfuConnection *self, GAsyncResult *res, GError **error);
void
bdfu_connection_write_buttonless_async(BdfuConnection *self,
				       GBytes *value,
				       GCancellable *cancellable,
				       GAsyncReadyCallback callback,
				       gpointer user_data);
gboolean
bdfu_connection_write_buttonless_finish(BdfuConnection *self, GAsyncResult *res, GError **error);
void
bdfu_connection_read_fw_revision_async(BdfuConnection *self,
				       GCancellable *cancellable,
				       GAsyncReadyCallback callback,
				       gpointer user_data);
gchar *
bdfu_connection_read_fw_revision_finish(BdfuConnection *self, GAsyncResult *res, GError **error);
void
bdfu_connection_disconnect_async(BdfuConnection *self,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data);
gboolean
bdfu_connection_disconnect_finish(BdfuConnection *self, GAsyncResult *res, GError **error);
gboolean
bdfu_connection_is_connected(BdfuConnection *self);

/* for implementations: emit the signals (the base class tracks the connected state) */
void
bdfu_connection_emit_notification(BdfuConnection *self, const guint8 *buf, gsize len);
void
bdfu_connection_emit_indication(BdfuConnection *self, const guint8 *buf, gsize len);
void
bdfu_connection_emit_writable(BdfuConnection *self);
void
bdfu_connection_emit_disconnected(BdfuConnection *self, guint reason);

G_END_DECLS
