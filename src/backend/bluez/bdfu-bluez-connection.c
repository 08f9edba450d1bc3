/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bdfu-bluez"

#include "backend/bluez/bdfu-bluez-private.h"
#include "bluedfu/bdfu-error.h"

#include <string.h>

#define BDFU_BLUEZ_INPROGRESS_RETRIES 40
#define BDFU_BLUEZ_INPROGRESS_DELAY_MS 50

struct _BdfuBluezConnection {
	BdfuConnection parent_instance;
	BdfuBluezBackend *backend;
	GDBusConnection *bus;
	GDBusObjectManager *manager;
	gchar *address;
	gchar *device_path;
	BdfuDeviceMode mode;
	gchar *cp_path;
	gchar *packet_path;
	gchar *buttonless_path;
	gchar *fw_path;
	BdfuBluezPacket *packet;
	GPtrArray *notifying; /* characteristic paths we called StartNotify on */
	gulong sig_props;
	gulong sig_removed;
	gulong sig_added;
	gulong sig_tree_removed;
	gulong sig_owner;
	gboolean link_lost;
	gchar *lost_reason;
	gboolean disconnect_sent;
	GPtrArray *disconnect_waiters; /* GTask* */
};

G_DEFINE_TYPE(BdfuBluezConnection, bdfu_bluez_connection, BDFU_TYPE_CONNECTION)

static const gchar *
bdfu_bluez_connection_adapter(BdfuBluezConnection *self)
{
	return bdfu_bluez_backend_get_adapter_name(self->backend);
}

/* the link is gone ------------------------------------------------------------------------------
 */

static void
bdfu_bluez_connection_stop_notify(BdfuBluezConnection *self)
{
	/* BlueZ re-arms our notify sessions on the next connection to this object, maybe on
	 * a different GATT layout (BLUEZ.md §3.5): drop them; no CCCD write while down */
	for (guint i = 0; i < self->notifying->len; i++)
		g_dbus_connection_call(self->bus,
				       BDFU_BLUEZ_SERVICE,
				       g_ptr_array_index(self->notifying, i),
				       BDFU_BLUEZ_CHAR_IFACE,
				       "StopNotify",
				       NULL,
				       NULL,
				       G_DBUS_CALL_FLAGS_NONE,
				       BDFU_BLUEZ_SHORT_CALL_MS,
				       NULL,
				       NULL,
				       NULL);
	g_ptr_array_set_size(self->notifying, 0);
}

static void
bdfu_bluez_connection_link_lost(BdfuBluezConnection *self, const gchar *reason)
{
	g_autoptr(GPtrArray) waiters = NULL;

	if (self->link_lost)
		return;
	/* the device dropped the link: it may be resetting into another mode, and BlueZ keeps
	 * the old tree cached on the same object (BLUEZ.md §2.6, §2.7) */
	if (!self->disconnect_sent)
		bdfu_bluez_backend_set_gatt_stale(self->backend, self->address, TRUE);
	self->link_lost = TRUE;
	self->lost_reason = g_strdup(reason);
	g_debug("%s: %s", self->address, reason);
	g_clear_pointer(&self->packet, bdfu_bluez_packet_free);
	g_clear_signal_handler(&self->sig_props, self->manager);
	g_clear_signal_handler(&self->sig_removed, self->manager);
	g_clear_signal_handler(&self->sig_owner, self->manager);
	g_clear_signal_handler(&self->sig_added, self->manager);
	g_clear_signal_handler(&self->sig_tree_removed, self->manager);
	bdfu_bluez_connection_stop_notify(self);

	g_object_ref(self);
	waiters = g_steal_pointer(&self->disconnect_waiters);
	self->disconnect_waiters = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; i < waiters->len; i++)
		g_task_return_boolean(g_ptr_array_index(waiters, i), TRUE);
	bdfu_connection_emit_disconnected(BDFU_CONNECTION(self), 0);
	g_object_unref(self);
}

static gboolean
bdfu_bluez_connection_check(BdfuBluezConnection *self, GError **error)
{
	if (!self->link_lost)
		return TRUE;
	g_set_error(error,
		    BDFU_ERROR,
		    BDFU_ERROR_CONNECTION_FAILED,
		    "%s: %s",
		    self->address,
		    self->lost_reason != NULL ? self->lost_reason : "the device disconnected");
	return FALSE;
}

static void
bdfu_bluez_connection_props_cb(GDBusObjectManagerClient *manager,
			       GDBusObjectProxy *object,
			       GDBusProxy *proxy,
			       GVariant *changed,
			       const gchar *const *invalidated,
			       gpointer user_data)
{
	BdfuBluezConnection *self = BDFU_BLUEZ_CONNECTION(user_data);
	const gchar *path = g_dbus_object_get_object_path(G_DBUS_OBJECT(object));
	const gchar *iface = g_dbus_proxy_get_interface_name(proxy);
	gboolean value = TRUE;

	if (g_strcmp0(iface, BDFU_BLUEZ_CHAR_IFACE) == 0) {
		g_autoptr(GVariant) bytes =
		    g_variant_lookup_value(changed, "Value", G_VARIANT_TYPE_BYTESTRING);
		const guint8 *buf;
		gsize len = 0;
		if (bytes == NULL)
			return;
		buf = g_variant_get_fixed_array(bytes, &len, 1);
		/* one signal per notification, in order of arrival (BLUEZ.md §3.5, §3.6) */
		if (g_strcmp0(path, self->cp_path) == 0)
			bdfu_connection_emit_notification(BDFU_CONNECTION(self), buf, len);
		else if (g_strcmp0(path, self->buttonless_path) == 0)
			bdfu_connection_emit_indication(BDFU_CONNECTION(self), buf, len);
		return;
	}
	if (g_strcmp0(iface, BDFU_BLUEZ_DEVICE_IFACE) != 0 ||
	    g_strcmp0(path, self->device_path) != 0)
		return;
	/* ServicesResolved drops first, then Connected (BLUEZ.md §2.2): either means gone */
	if (g_variant_lookup(changed, "ServicesResolved", "b", &value) && !value) {
		bdfu_bluez_connection_link_lost(self, "the device disconnected");
		return;
	}
	if (g_variant_lookup(changed, "Connected", "b", &value) && !value)
		bdfu_bluez_connection_link_lost(self, "the device disconnected");
}

static gboolean
bdfu_bluez_connection_bluetoothd_gone(BdfuBluezConnection *self)
{
	g_autofree gchar *owner = g_dbus_object_manager_client_get_name_owner(
	    G_DBUS_OBJECT_MANAGER_CLIENT(self->manager));
	if (owner != NULL)
		return FALSE;
	g_warning("bluetoothd left the system bus: the link to %s is lost", self->address);
	bdfu_bluez_connection_link_lost(
	    self,
	    "bluetoothd stopped or restarted (org.bluez left the system "
	    "bus); every link it held is gone");
	return TRUE;
}

static void
bdfu_bluez_connection_removed_cb(GDBusObjectManager *manager,
				 GDBusObject *object,
				 gpointer user_data)
{
	BdfuBluezConnection *self = BDFU_BLUEZ_CONNECTION(user_data);
	if (g_strcmp0(g_dbus_object_get_object_path(object), self->device_path) != 0)
		return;
	/* the object manager drops every object before it tells the owner changed */
	if (!bdfu_bluez_connection_bluetoothd_gone(self))
		bdfu_bluez_connection_link_lost(self, "the device vanished from BlueZ");
}

/* Service Changed replaces GATT objects, possibly after ServicesResolved (BLUEZ.md §2.7) */
static void
bdfu_bluez_connection_tree_cb(GDBusObjectManager *manager, GDBusObject *object, gpointer user_data)
{
	BdfuBluezConnection *self = BDFU_BLUEZ_CONNECTION(user_data);
	const gchar *path = g_dbus_object_get_object_path(object);
	if (!self->link_lost && g_str_has_prefix(path, self->device_path) &&
	    path[strlen(self->device_path)] == '/')
		bdfu_bluez_connection_resolve(self);
}

static void
bdfu_bluez_connection_owner_cb(GObject *manager, GParamSpec *pspec, gpointer user_data)
{
	bdfu_bluez_connection_bluetoothd_gone(BDFU_BLUEZ_CONNECTION(user_data));
}

static void
bdfu_bluez_connection_packet_writable(gpointer user_data)
{
	bdfu_connection_emit_writable(BDFU_CONNECTION(user_data));
}

static void
bdfu_bluez_connection_packet_hangup(gpointer user_data)
{
	if (bdfu_bluez_connection_bluetoothd_gone(BDFU_BLUEZ_CONNECTION(user_data)))
		return;
	bdfu_bluez_connection_link_lost(BDFU_BLUEZ_CONNECTION(user_data),
					"the device disconnected (the Packet socket closed)");
}

/* GATT lookup ---------------------------------------------------------------------------------- */

BdfuDeviceMode
bdfu_bluez_connection_resolve(BdfuBluezConnection *self)
{
	const gchar *cp_flags[] = {"write", "notify", NULL};
	const gchar *pkt_flags[] = {"write-without-response", NULL};
	const gchar *bl_flags[] = {"write", "indicate", NULL};
	g_autoptr(GDBusObject) device =
	    g_dbus_object_manager_get_object(self->manager, self->device_path);
	BdfuDeviceMode mode;

	g_clear_pointer(&self->cp_path, g_free);
	g_clear_pointer(&self->packet_path, g_free);
	g_clear_pointer(&self->buttonless_path, g_free);
	g_clear_pointer(&self->fw_path, g_free);
	if (device == NULL)
		return BDFU_DEVICE_MODE_UNKNOWN;
	mode = bdfu_bluez_device_get_mode(self->manager, device, BDFU_BLUEZ_MODE_GATT);
	self->mode = mode == BDFU_DEVICE_MODE_UNKNOWN ? BDFU_DEVICE_MODE_APP : mode;
	self->fw_path = bdfu_bluez_device_find_characteristic(
	    self->manager, self->device_path, BDFU_UUID_FW_REVISION, NULL);
	switch (mode) {
	case BDFU_DEVICE_MODE_DFU:
		self->cp_path = bdfu_bluez_device_find_characteristic(
		    self->manager, self->device_path, BDFU_UUID_DFU_CONTROL, cp_flags);
		self->packet_path = bdfu_bluez_device_find_characteristic(
		    self->manager, self->device_path, BDFU_UUID_DFU_PACKET, pkt_flags);
		break;
	case BDFU_DEVICE_MODE_APP_BUTTONLESS_BONDED:
		self->buttonless_path = bdfu_bluez_device_find_characteristic(
		    self->manager, self->device_path, BDFU_UUID_BUTTONLESS_BONDED, bl_flags);
		break;
	case BDFU_DEVICE_MODE_APP_BUTTONLESS:
		self->buttonless_path = bdfu_bluez_device_find_characteristic(
		    self->manager, self->device_path, BDFU_UUID_BUTTONLESS, bl_flags);
		break;
	default:
		break;
	}
	return mode;
}

/* simple calls ----------------------------------------------------------------------------------
 */

static guint
bdfu_bluez_connection_get_mode(BdfuConnection *conn)
{
	return BDFU_BLUEZ_CONNECTION(conn)->mode;
}

static const gchar *
bdfu_bluez_connection_get_address(BdfuConnection *conn)
{
	return BDFU_BLUEZ_CONNECTION(conn)->address;
}

static guint16
bdfu_bluez_connection_get_mtu(BdfuConnection *conn)
{
	BdfuBluezConnection *self = BDFU_BLUEZ_CONNECTION(conn);
	const gchar *paths[] = {self->packet_path, self->cp_path, self->buttonless_path};

	if (self->packet != NULL && bdfu_bluez_packet_get_mtu(self->packet) != 0)
		return bdfu_bluez_packet_get_mtu(self->packet);
	/* MTU exists since 5.62, and only while connected (BLUEZ.md §3.7) */
	for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
		g_autoptr(GDBusObject) object = NULL;
		g_autoptr(GVariant) mtu = NULL;
		if (paths[i] == NULL)
			continue;
		object = g_dbus_object_manager_get_object(self->manager, paths[i]);
		mtu = bdfu_bluez_object_get_property(object, BDFU_BLUEZ_CHAR_IFACE, "MTU");
		if (mtu != NULL && g_variant_is_of_type(mtu, G_VARIANT_TYPE_UINT16) &&
		    g_variant_get_uint16(mtu) >= 23)
			return g_variant_get_uint16(mtu);
	}
	return 23;
}

static gboolean
bdfu_bluez_connection_write_data(BdfuConnection *conn, const guint8 *buf, gsize len, GError **error)
{
	BdfuBluezConnection *self = BDFU_BLUEZ_CONNECTION(conn);
	if (!bdfu_bluez_connection_check(self, error))
		return FALSE;
	if (self->packet == NULL) {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_FAILED,
				    "the Packet characteristic is not open: enable DFU first");
		return FALSE;
	}
	return bdfu_bluez_packet_write(self->packet, buf, len, error);
}

/* one GATT call with InProgress retries ------------------------------------------------------- */

typedef struct {
	BdfuBluezConnection *self;
	gchar *path;
	gchar *method;
	GVariant *params;
	const gchar *what;
	guint retries;
	gboolean buttonless_enter; /* a dropped link right after "enter" is success */
} BdfuBluezCall;

static void
bdfu_bluez_call_free(BdfuBluezCall *call)
{
	g_object_unref(call->self);
	g_free(call->path);
	g_free(call->method);
	g_variant_unref(call->params);
	g_free(call);
}

static void
bdfu_bluez_call_send(GTask *task);

static gboolean
bdfu_bluez_call_retry_cb(gpointer user_data)
{
	bdfu_bluez_call_send(G_TASK(user_data));
	return G_SOURCE_REMOVE;
}

static gboolean
bdfu_bluez_error_is_link_loss(const GError *error)
{
	return bdfu_bluez_error_is(error, "org.bluez.Error.Failed", "Not connected") ||
	       bdfu_bluez_error_is(error, "org.bluez.Error.Failed", "Operation failed") ||
	       bdfu_bluez_error_is(error, "org.bluez.Error.NotConnected", NULL) ||
	       g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
	       g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY);
}

static void
bdfu_bluez_call_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	BdfuBluezCall *call = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	GVariant *reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

	if (reply != NULL) {
		g_task_return_pointer(task, reply, (GDestroyNotify)g_variant_unref);
		return;
	}
	/* our notify session is being re-armed, or another request is pending (BLUEZ.md §5) */
	if (bdfu_bluez_error_is(error, "org.bluez.Error.InProgress", NULL) && call->retries > 0 &&
	    !call->self->link_lost && !g_cancellable_is_cancelled(g_task_get_cancellable(task))) {
		call->retries--;
		g_timeout_add(BDFU_BLUEZ_INPROGRESS_DELAY_MS,
			      bdfu_bluez_call_retry_cb,
			      g_steal_pointer(&task));
		return;
	}
	if (call->buttonless_enter && bdfu_bluez_error_is_link_loss(error)) {
		g_task_return_pointer(
		    task, g_variant_ref_sink(g_variant_new("()")), (GDestroyNotify)g_variant_unref);
		return;
	}
	if (call->self->link_lost && bdfu_bluez_error_is_link_loss(error)) {
		GError *lost = NULL;
		bdfu_bluez_connection_check(call->self, &lost);
		g_prefix_error(&lost, "%s: ", call->what);
		g_task_return_error(task, lost);
		return;
	}
	g_task_return_error(
	    task,
	    bdfu_bluez_error_convert(error, call->what, bdfu_bluez_connection_adapter(call->self)));
}

static void
bdfu_bluez_call_send(GTask *task)
{
	BdfuBluezCall *call = g_task_get_task_data(task);
	g_dbus_connection_call(call->self->bus,
			       BDFU_BLUEZ_SERVICE,
			       call->path,
			       BDFU_BLUEZ_CHAR_IFACE,
			       call->method,
			       call->params,
			       NULL,
			       G_DBUS_CALL_FLAGS_NONE,
			       BDFU_BLUEZ_REQUEST_MS,
			       g_task_get_cancellable(task),
			       bdfu_bluez_call_done_cb,
			       task);
}

static void
bdfu_bluez_connection_call(BdfuBluezConnection *self,
			   const gchar *path,
			   const gchar *method,
			   GVariant *params,
			   const gchar *what,
			   gboolean buttonless_enter,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data)
{
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	BdfuBluezCall *call = g_new0(BdfuBluezCall, 1);
	GError *error = NULL;

	call->self = g_object_ref(self);
	call->path = g_strdup(path);
	call->method = g_strdup(method);
	call->params = g_variant_ref_sink(params);
	call->what = what;
	call->retries = BDFU_BLUEZ_INPROGRESS_RETRIES;
	call->buttonless_enter = buttonless_enter;
	g_task_set_task_data(task, call, (GDestroyNotify)bdfu_bluez_call_free);
	if (!bdfu_bluez_connection_check(self, &error)) {
		g_prefix_error(&error, "%s: ", what);
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	if (path == NULL) {
		g_task_return_new_error(task,
					BDFU_ERROR,
					BDFU_ERROR_NOT_SUPPORTED,
					"%s: %s does not offer the characteristic",
					what,
					self->address);
		g_object_unref(task);
		return;
	}
	bdfu_bluez_call_send(task);
}

static GVariant *
bdfu_bluez_write_params(GBytes *value)
{
	GVariantBuilder opts;
	gsize len = 0;
	const guint8 *buf = g_bytes_get_data(value, &len);
	/* type is explicit: 5.66 picks the procedure from it, not from the Flags (§3.2) */
	g_variant_builder_init(&opts, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&opts, "{sv}", "type", g_variant_new_string("request"));
	return g_variant_new(
	    "(@aya{sv})", g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, buf, len, 1), &opts);
}

static gboolean
bdfu_bluez_call_finish_boolean(BdfuConnection *conn, GAsyncResult *res, GError **error)
{
	g_autoptr(GVariant) reply = g_task_propagate_pointer(G_TASK(res), error);
	return reply != NULL;
}

/* Control Point ----------------------------------------------------------------------------------
 */

static void
bdfu_bluez_connection_packet_opened_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	BdfuBluezConnection *self = g_task_get_source_object(task);
	GError *error = NULL;
	BdfuBluezPacket *packet = bdfu_bluez_packet_open_finish(res, &error);
	guint16 mtu;

	if (packet == NULL) {
		g_task_return_error(task, error);
		return;
	}
	if (self->link_lost) {
		bdfu_bluez_packet_free(packet);
		bdfu_bluez_connection_check(self, &error);
		g_task_return_error(task, error);
		return;
	}
	g_clear_pointer(&self->packet, bdfu_bluez_packet_free);
	self->packet = packet;
	/* never more than MTU-3 per write: anything above is dropped silently (§3.3, §3.7) */
	mtu = bdfu_bluez_connection_get_mtu(BDFU_CONNECTION(self));
	bdfu_bluez_packet_set_max_payload(packet, MIN((gsize)mtu - 3, 512));
	g_task_return_pointer(
	    task, g_variant_ref_sink(g_variant_new("()")), (GDestroyNotify)g_variant_unref);
}

static void
bdfu_bluez_connection_cp_notifying_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	BdfuBluezConnection *self = BDFU_BLUEZ_CONNECTION(source);
	GError *error = NULL;
	g_autoptr(GVariant) reply = g_task_propagate_pointer(G_TASK(res), &error);

	if (reply == NULL) {
		g_task_return_error(task, error);
		return;
	}
	g_ptr_array_add(self->notifying, g_strdup(self->cp_path));
	bdfu_bluez_packet_open_async(self->bus,
				     self->packet_path,
				     bdfu_bluez_connection_packet_writable,
				     bdfu_bluez_connection_packet_hangup,
				     self,
				     g_task_get_cancellable(task),
				     bdfu_bluez_connection_packet_opened_cb,
				     g_object_ref(task));
}

static void
bdfu_bluez_connection_enable_dfu_async(BdfuConnection *conn,
				       GCancellable *cancellable,
				       GAsyncReadyCallback callback,
				       gpointer user_data)
{
	BdfuBluezConnection *self = BDFU_BLUEZ_CONNECTION(conn);
	GTask *task = g_task_new(self, cancellable, callback, user_data);

	if (self->cp_path == NULL || self->packet_path == NULL) {
		g_task_return_new_error(
		    task,
		    BDFU_ERROR,
		    BDFU_ERROR_NOT_SUPPORTED,
		    "%s does not offer the Secure DFU Control Point (8EC90001, "
		    "write+notify) and Packet (8EC90002, write-without-response)",
		    self->address);
		g_object_unref(task);
		return;
	}
	/* the signal subscription exists already (the object manager's), so no notification
	 * sent right after the CCCD write is missed (BLUEZ.md §3.5) */
	bdfu_bluez_connection_call(self,
				   self->cp_path,
				   "StartNotify",
				   g_variant_new("()"),
				   "cannot enable Control Point notifications",
				   FALSE,
				   cancellable,
				   bdfu_bluez_connection_cp_notifying_cb,
				   task);
}

static void
bdfu_bluez_connection_write_ctrl_async(BdfuConnection *conn,
				       GBytes *value,
				       GCancellable *cancellable,
				       GAsyncReadyCallback callback,
				       gpointer user_data)
{
	BdfuBluezConnection *self = BDFU_BLUEZ_CONNECTION(conn);
	bdfu_bluez_connection_call(self,
				   self->cp_path,
				   "WriteValue",
				   bdfu_bluez_write_params(value),
				   "Control Point write",
				   FALSE,
				   cancellable,
				   callback,
				   user_data);
}

/* buttonless
 * ---------------------------------------------------------------------------------------- */

static void
bdfu_bluez_connection_bl_notifying_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	BdfuBluezConnection *self = BDFU_BLUEZ_CONNECTION(source);
	GError *error = NULL;
	g_autoptr(GVariant) reply = g_task_propagate_pointer(G_TASK(res), &error);

	if (reply == NULL) {
		g_task_return_error(task, error);
		return;
	}
	g_ptr_array_add(self->notifying, g_strdup(self->buttonless_path));
	g_task_return_pointer(task, g_steal_pointer(&reply), (GDestroyNotify)g_variant_unref);
}

static void
bdfu_bluez_connection_bl_start_notify(GTask *task)
{
	BdfuBluezConnection *self = g_task_get_source_object(task);
	bdfu_bluez_connection_call(self,
				   self->buttonless_path,
				   "StartNotify",
				   g_variant_new("()"),
				   "cannot enable buttonless indications",
				   FALSE,
				   g_task_get_cancellable(task),
				   bdfu_bluez_connection_bl_notifying_cb,
				   task);
}

static void
bdfu_bluez_connection_paired_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
	BdfuBluezConnection *self = g_task_get_source_object(task);

	/* AlreadyExists: bonded meanwhile (BLUEZ.md §4.1) */
	if (reply == NULL && !bdfu_bluez_error_is(error, "org.bluez.Error.AlreadyExists", NULL)) {
		g_autoptr(GError) converted = bdfu_bluez_error_convert(
		    error, "pairing failed", bdfu_bluez_connection_adapter(self));
		g_task_return_new_error(task,
					BDFU_ERROR,
					converted->code == BDFU_ERROR_FAILED
					    ? BDFU_ERROR_NOT_AUTHORIZED
					    : converted->code,
					"%s needs a bond before it enters its bootloader "
					"(buttonless with bonds, 8EC90004), and %s",
					self->address,
					converted->message);
		return;
	}
	bdfu_bluez_connection_bl_start_notify(g_steal_pointer(&task));
}

static void
bdfu_bluez_connection_pair(GTask *task)
{
	BdfuBluezConnection *self = g_task_get_source_object(task);
	g_dbus_connection_call(self->bus,
			       BDFU_BLUEZ_SERVICE,
			       self->device_path,
			       BDFU_BLUEZ_DEVICE_IFACE,
			       "Pair",
			       NULL,
			       NULL,
			       G_DBUS_CALL_FLAGS_NONE,
			       BDFU_BLUEZ_PAIR_MS,
			       g_task_get_cancellable(task),
			       bdfu_bluez_connection_paired_cb,
			       task);
}

static void
bdfu_bluez_connection_agent_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = G_TASK(user_data);
	BdfuBluezConnection *self = g_task_get_source_object(task);
	g_autoptr(GError) error = NULL;
	BdfuBluezAgent *agent = bdfu_bluez_backend_get_agent(self->backend, NULL);
	g_autoptr(GDBusObject) adapter = NULL;
	const gchar *adapter_path = bdfu_bluez_backend_get_adapter_path(self->backend);

	if (!bdfu_bluez_agent_register_finish(agent, res, &error))
		g_debug("no agent: %s", error->message); /* Pair works without one (§8 #22) */
	/* a non-bondable adapter stores no bond (BLUEZ.md §8 #17) */
	adapter = g_dbus_object_manager_get_object(self->manager, adapter_path);
	if (adapter != NULL &&
	    !bdfu_bluez_object_get_boolean(adapter, BDFU_BLUEZ_ADAPTER_IFACE, "Pairable"))
		g_dbus_connection_call(
		    self->bus,
		    BDFU_BLUEZ_SERVICE,
		    adapter_path,
		    "org.freedesktop.DBus.Properties",
		    "Set",
		    g_variant_new(
			"(ssv)", BDFU_BLUEZ_ADAPTER_IFACE, "Pairable", g_variant_new_boolean(TRUE)),
		    NULL,
		    G_DBUS_CALL_FLAGS_NONE,
		    BDFU_BLUEZ_SHORT_CALL_MS,
		    NULL,
		    NULL,
		    NULL);
	bdfu_bluez_connection_pair(task);
}

static void
bdfu_bluez_connection_enable_buttonless_async(BdfuConnection *conn,
					      GCancellable *cancellable,
					      GAsyncReadyCallback callback,
					      gpointer user_data)
{
	BdfuBluezConnection *self = BDFU_BLUEZ_CONNECTION(conn);
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	g_autoptr(GDBusObject) device = NULL;
	g_autoptr(GError) error = NULL;
	BdfuBluezAgent *agent;

	if (self->buttonless_path == NULL) {
		g_task_return_new_error(task,
					BDFU_ERROR,
					BDFU_ERROR_NOT_SUPPORTED,
					"%s offers no buttonless DFU characteristic (8EC90003 or "
					"8EC90004 with write+indicate)",
					self->address);
		g_object_unref(task);
		return;
	}
	device = g_dbus_object_manager_get_object(self->manager, self->device_path);
	if (self->mode != BDFU_DEVICE_MODE_APP_BUTTONLESS_BONDED ||
	    bdfu_bluez_object_get_boolean(device, BDFU_BLUEZ_DEVICE_IFACE, "Paired")) {
		bdfu_bluez_connection_bl_start_notify(task);
		return;
	}
	/* the bond must exist before the app hands its keys to the bootloader (§4.2) */
	agent = bdfu_bluez_backend_get_agent(self->backend, &error);
	if (agent == NULL) {
		g_debug("no agent: %s", error->message);
		bdfu_bluez_connection_pair(task);
		return;
	}
	bdfu_bluez_agent_set_device(agent, self->device_path);
	bdfu_bluez_agent_register_async(agent, cancellable, bdfu_bluez_connection_agent_cb, task);
}

static void
bdfu_bluez_connection_write_buttonless_async(BdfuConnection *conn,
					     GBytes *value,
					     GCancellable *cancellable,
					     GAsyncReadyCallback callback,
					     gpointer user_data)
{
	BdfuBluezConnection *self = BDFU_BLUEZ_CONNECTION(conn);
	gsize len = 0;
	const guint8 *buf = g_bytes_get_data(value, &len);
	bdfu_bluez_connection_call(self,
				   self->buttonless_path,
				   "WriteValue",
				   bdfu_bluez_write_params(value),
				   "buttonless write",
				   len > 0 && buf[0] == 0x01,
				   cancellable,
				   callback,
				   user_data);
}

/* Device Information ------------------------------------------------------------------------------
 */

static void
bdfu_bluez_connection_read_fw_revision_async(BdfuConnection *conn,
					     GCancellable *cancellable,
					     GAsyncReadyCallback callback,
					     gpointer user_data)
{
	BdfuBluezConnection *self = BDFU_BLUEZ_CONNECTION(conn);
	GTask *task;

	if (self->fw_path == NULL) {
		task = g_task_new(self, cancellable, callback, user_data);
		g_task_return_pointer(task, NULL, NULL);
		g_object_unref(task);
		return;
	}
	bdfu_bluez_connection_call(self,
				   self->fw_path,
				   "ReadValue",
				   g_variant_new_parsed("(@a{sv} {},)"),
				   "reading the firmware revision",
				   FALSE,
				   cancellable,
				   callback,
				   user_data);
}

static gchar *
bdfu_bluez_connection_read_fw_revision_finish(BdfuConnection *conn,
					      GAsyncResult *res,
					      GError **error)
{
	GError *error_local = NULL;
	g_autoptr(GVariant) reply = g_task_propagate_pointer(G_TASK(res), &error_local);
	g_autoptr(GVariant) bytes = NULL;
	const gchar *buf;
	gsize len = 0;

	if (reply == NULL) {
		if (error_local != NULL)
			g_propagate_error(error, error_local);
		return NULL;
	}
	if (!g_variant_is_of_type(reply, G_VARIANT_TYPE("(ay)")))
		return NULL;
	bytes = g_variant_get_child_value(reply, 0);
	buf = g_variant_get_fixed_array(bytes, &len, 1);
	/* a string characteristic, maybe NUL padded, maybe not UTF-8 */
	while (len > 0 && buf[len - 1] == '\0')
		len--;
	if (len == 0)
		return NULL;
	return g_utf8_make_valid(buf, (gssize)MIN(len, 64));
}

/* disconnect --------------------------------------------------------------------------------------
 */

static void
bdfu_bluez_connection_disconnected_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(BdfuBluezConnection) self = BDFU_BLUEZ_CONNECTION(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

	/* 5.66 replies once Connected is false; without a reply the property is the truth, and
	 * a Disconnect that never answers (bluez#947) must not hang the caller */
	if (reply == NULL)
		g_debug("Disconnect %s: %s", self->address, error->message);
	bdfu_bluez_connection_link_lost(self, "disconnected by bluedfu");
}

static void
bdfu_bluez_connection_send_disconnect(BdfuBluezConnection *self)
{
	if (self->disconnect_sent || self->link_lost)
		return;
	self->disconnect_sent = TRUE;
	g_dbus_connection_call(self->bus,
			       BDFU_BLUEZ_SERVICE,
			       self->device_path,
			       BDFU_BLUEZ_DEVICE_IFACE,
			       "Disconnect",
			       NULL,
			       NULL,
			       G_DBUS_CALL_FLAGS_NONE,
			       BDFU_BLUEZ_SHORT_CALL_MS,
			       NULL,
			       bdfu_bluez_connection_disconnected_cb,
			       g_object_ref(self));
}

static void
bdfu_bluez_connection_disconnect_async(BdfuConnection *conn,
				       GCancellable *cancellable,
				       GAsyncReadyCallback callback,
				       gpointer user_data)
{
	BdfuBluezConnection *self = BDFU_BLUEZ_CONNECTION(conn);
	GTask *task = g_task_new(self, cancellable, callback, user_data);

	if (self->link_lost) {
		g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return;
	}
	g_ptr_array_add(self->disconnect_waiters, task);
	bdfu_bluez_connection_send_disconnect(self);
}

static gboolean
bdfu_bluez_connection_disconnect_finish(BdfuConnection *conn, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

/* object ----------------------------------------------------------------------------------------
 */

BdfuBluezConnection *
bdfu_bluez_connection_new(BdfuBluezBackend *backend, const gchar *device_path, const gchar *address)
{
	BdfuBluezConnection *self = g_object_new(BDFU_TYPE_BLUEZ_CONNECTION, NULL);

	self->backend = g_object_ref(backend);
	self->bus = g_object_ref(bdfu_bluez_backend_get_bus(backend));
	self->manager = g_object_ref(bdfu_bluez_backend_get_manager(backend));
	self->device_path = g_strdup(device_path);
	self->address = g_strdup(address);
	self->sig_props = g_signal_connect(self->manager,
					   "interface-proxy-properties-changed",
					   G_CALLBACK(bdfu_bluez_connection_props_cb),
					   self);
	self->sig_removed = g_signal_connect(
	    self->manager, "object-removed", G_CALLBACK(bdfu_bluez_connection_removed_cb), self);
	self->sig_owner = g_signal_connect(
	    self->manager, "notify::name-owner", G_CALLBACK(bdfu_bluez_connection_owner_cb), self);
	self->sig_added = g_signal_connect_after(
	    self->manager, "object-added", G_CALLBACK(bdfu_bluez_connection_tree_cb), self);
	self->sig_tree_removed = g_signal_connect_after(
	    self->manager, "object-removed", G_CALLBACK(bdfu_bluez_connection_tree_cb), self);
	bdfu_bluez_connection_resolve(self);
	return self;
}

static void
bdfu_bluez_connection_dispose(GObject *object)
{
	BdfuBluezConnection *self = BDFU_BLUEZ_CONNECTION(object);

	/* no link is ever left up (BLUEZ.md §8 #13) */
	if (!self->link_lost && !self->disconnect_sent && self->bus != NULL)
		g_dbus_connection_call(self->bus,
				       BDFU_BLUEZ_SERVICE,
				       self->device_path,
				       BDFU_BLUEZ_DEVICE_IFACE,
				       "Disconnect",
				       NULL,
				       NULL,
				       G_DBUS_CALL_FLAGS_NONE,
				       BDFU_BLUEZ_SHORT_CALL_MS,
				       NULL,
				       NULL,
				       NULL);
	if (self->bus != NULL)
		bdfu_bluez_connection_stop_notify(self);
	g_clear_pointer(&self->packet, bdfu_bluez_packet_free);
	if (self->manager != NULL) {
		g_clear_signal_handler(&self->sig_props, self->manager);
		g_clear_signal_handler(&self->sig_removed, self->manager);
		g_clear_signal_handler(&self->sig_owner, self->manager);
		g_clear_signal_handler(&self->sig_added, self->manager);
		g_clear_signal_handler(&self->sig_tree_removed, self->manager);
	}
	g_clear_object(&self->manager);
	g_clear_object(&self->bus);
	g_clear_object(&self->backend);
	G_OBJECT_CLASS(bdfu_bluez_connection_parent_class)->dispose(object);
}

static void
bdfu_bluez_connection_finalize(GObject *object)
{
	BdfuBluezConnection *self = BDFU_BLUEZ_CONNECTION(object);
	g_free(self->address);
	g_free(self->device_path);
	g_free(self->cp_path);
	g_free(self->packet_path);
	g_free(self->buttonless_path);
	g_free(self->fw_path);
	g_free(self->lost_reason);
	g_ptr_array_unref(self->notifying);
	g_ptr_array_unref(self->disconnect_waiters);
	G_OBJECT_CLASS(bdfu_bluez_connection_parent_class)->finalize(object);
}

static void
bdfu_bluez_connection_class_init(BdfuBluezConnectionClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	BdfuConnectionClass *conn_class = BDFU_CONNECTION_CLASS(klass);

	object_class->dispose = bdfu_bluez_connection_dispose;
	object_class->finalize = bdfu_bluez_connection_finalize;
	conn_class->get_mode = bdfu_bluez_connection_get_mode;
	conn_class->get_address = bdfu_bluez_connection_get_address;
	conn_class->get_mtu = bdfu_bluez_connection_get_mtu;
	conn_class->enable_dfu_async = bdfu_bluez_connection_enable_dfu_async;
	conn_class->enable_dfu_finish = bdfu_bluez_call_finish_boolean;
	conn_class->write_ctrl_async = bdfu_bluez_connection_write_ctrl_async;
	conn_class->write_ctrl_finish = bdfu_bluez_call_finish_boolean;
	conn_class->write_data = bdfu_bluez_connection_write_data;
	conn_class->enable_buttonless_async = bdfu_bluez_connection_enable_buttonless_async;
	conn_class->enable_buttonless_finish = bdfu_bluez_call_finish_boolean;
	conn_class->write_buttonless_async = bdfu_bluez_connection_write_buttonless_async;
	conn_class->write_buttonless_finish = bdfu_bluez_call_finish_boolean;
	conn_class->read_fw_revision_async = bdfu_bluez_connection_read_fw_revision_async;
	conn_class->read_fw_revision_finish = bdfu_bluez_connection_read_fw_revision_finish;
	conn_class->disconnect_async = bdfu_bluez_connection_disconnect_async;
	conn_class->disconnect_finish = bdfu_bluez_connection_disconnect_finish;
}

static void
bdfu_bluez_connection_init(BdfuBluezConnection *self)
{
	self->notifying = g_ptr_array_new_with_free_func(g_free);
	self->disconnect_waiters = g_ptr_array_new_with_free_func(g_object_unref);
}
