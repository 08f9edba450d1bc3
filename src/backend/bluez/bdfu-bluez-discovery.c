/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bdfu-bluez"

#include "backend/bluez/bdfu-bluez-private.h"
#include "bluedfu/bdfu-error.h"

#include <string.h>

/* A scan reports only devices heard AFTER StartDiscovery: an InterfacesAdded, or a
 * PropertiesChanged carrying advertising data. Objects that merely exist are stale until proven
 * otherwise: BlueZ caches names, UUIDs and GATT trees on disk (BLUEZ.md §1.6). */

typedef struct {
	BdfuBluezBackend *backend;
	GDBusObjectManager *manager;
	gchar **addresses;
	gchar *name_glob;
	BdfuScanFilter filter;
	guint timeout_ms;
	GHashTable *found; /* address → BdfuDeviceInfo* */
	gulong sig_object_added;
	gulong sig_iface_added;
	gulong sig_props;
	guint timer_id;
	guint cancel_idle_id;
	gulong cancel_id;
	guint removals_pending;
	gboolean holds_discovery; /* counted in the backend's discovery users */
	gboolean joined;	  /* another scan of this backend already discovers */
	gboolean done;
	BdfuDeviceInfo *probe; /* a wanted device whose services are unknown */
	BdfuBluezConnection *probe_conn;
	GError *error;
} BdfuBluezScan;

static void
bdfu_bluez_scan_free(BdfuBluezScan *scan)
{
	g_strfreev(scan->addresses);
	g_free(scan->name_glob);
	g_hash_table_unref(scan->found);
	bdfu_device_info_free(scan->probe);
	g_clear_object(&scan->probe_conn);
	g_clear_error(&scan->error);
	g_clear_object(&scan->manager);
	g_object_unref(scan->backend);
	g_free(scan);
}

static void
bdfu_bluez_scan_finish_task(GTask *task);

static gboolean
bdfu_bluez_scan_is_fresh_change(GVariant *changed)
{
	const gchar *keys[] = {"RSSI", "ManufacturerData", "ServiceData", "TxPower", NULL};
	for (guint i = 0; keys[i] != NULL; i++) {
		g_autoptr(GVariant) value = g_variant_lookup_value(changed, keys[i], NULL);
		if (value != NULL)
			return TRUE;
	}
	return FALSE;
}

static gboolean
bdfu_bluez_scan_may_probe(BdfuBluezScan *scan, const BdfuDeviceInfo *info)
{
	return (scan->filter.addresses != NULL || scan->filter.name_glob != NULL) &&
	       scan->filter.stop_at_first && !scan->filter.all && !scan->filter.dfu_only &&
	       info->mode == BDFU_DEVICE_MODE_APP;
}

static void
bdfu_bluez_scan_consider(GTask *task, GDBusObject *object)
{
	BdfuBluezScan *scan = g_task_get_task_data(task);
	g_autofree gchar *adapter = NULL;
	g_autoptr(BdfuDeviceInfo) info = NULL;
	g_autofree gchar *address = NULL;
	gchar *key;

	if (scan->done)
		return;
	adapter = bdfu_bluez_object_get_string(object, BDFU_BLUEZ_DEVICE_IFACE, "Adapter");
	if (adapter != NULL &&
	    g_strcmp0(adapter, bdfu_bluez_backend_get_adapter_path(scan->backend)) != 0)
		return;
	address = bdfu_bluez_object_get_string(object, BDFU_BLUEZ_DEVICE_IFACE, "Address");
	if (address == NULL)
		return;
	info =
	    bdfu_bluez_device_get_info(scan->manager,
				       object,
				       bdfu_bluez_backend_get_adapter_name(scan->backend),
				       !bdfu_bluez_backend_get_gatt_stale(scan->backend, address));
	/* other clients' filters are merged into ours: check every device (BLUEZ.md §1.3) */
	if (info == NULL || !bdfu_bluez_device_is_wanted(info, &scan->filter))
		return;
	if (!bdfu_bluez_device_matches(info, &scan->filter)) {
		/* the very device asked for, but its adverts don't say whether it offers DFU:
		 * many applications don't advertise 0xFE59. Its GATT table will tell. */
		if (bdfu_bluez_scan_may_probe(scan, info) && scan->probe == NULL) {
			scan->probe = g_steal_pointer(&info);
			bdfu_bluez_scan_finish_task(task);
		}
		return;
	}
	if (scan->filter.dfu_only)
		info->mode = BDFU_DEVICE_MODE_DFU;
	key = g_strdup(info->address);
	g_hash_table_replace(scan->found, key, g_steal_pointer(&info));
	if (scan->filter.stop_at_first)
		bdfu_bluez_scan_finish_task(task);
}

static void
bdfu_bluez_scan_object_added_cb(GDBusObjectManager *manager,
				GDBusObject *object,
				gpointer user_data)
{
	g_autoptr(GDBusInterface) iface =
	    g_dbus_object_get_interface(object, BDFU_BLUEZ_DEVICE_IFACE);
	if (iface != NULL)
		bdfu_bluez_scan_consider(G_TASK(user_data), object);
}

static void
bdfu_bluez_scan_iface_added_cb(GDBusObjectManager *manager,
			       GDBusObject *object,
			       GDBusInterface *iface,
			       gpointer user_data)
{
	const gchar *name = g_dbus_proxy_get_interface_name(G_DBUS_PROXY(iface));
	if (g_strcmp0(name, BDFU_BLUEZ_DEVICE_IFACE) == 0)
		bdfu_bluez_scan_consider(G_TASK(user_data), object);
}

static void
bdfu_bluez_scan_props_cb(GDBusObjectManagerClient *manager,
			 GDBusObjectProxy *object,
			 GDBusProxy *proxy,
			 GVariant *changed,
			 const gchar *const *invalidated,
			 gpointer user_data)
{
	if (g_strcmp0(g_dbus_proxy_get_interface_name(proxy), BDFU_BLUEZ_DEVICE_IFACE) != 0)
		return;
	if (!bdfu_bluez_scan_is_fresh_change(changed))
		return;
	bdfu_bluez_scan_consider(G_TASK(user_data), G_DBUS_OBJECT(object));
}

static gint
bdfu_bluez_scan_rssi_cmp(gconstpointer a, gconstpointer b)
{
	const BdfuDeviceInfo *ia = *(const BdfuDeviceInfo *const *)a;
	const BdfuDeviceInfo *ib = *(const BdfuDeviceInfo *const *)b;
	/* 0 means unknown: last */
	gint ra = ia->rssi != 0 ? ia->rssi : G_MININT16;
	gint rb = ib->rssi != 0 ? ib->rssi : G_MININT16;
	if (ra != rb)
		return rb - ra;
	return g_strcmp0(ia->address, ib->address);
}

static void
bdfu_bluez_scan_return(GTask *task);

static void
bdfu_bluez_scan_probe_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	BdfuBluezScan *scan = g_task_get_task_data(task);
	BdfuDeviceInfo *info = g_steal_pointer(&scan->probe);

	bdfu_connection_disconnect_finish(BDFU_CONNECTION(source), res, NULL);
	/* a wanted device is reported even without DFU: the caller explains why it cannot
	 * be updated, which beats "not seen" */
	g_hash_table_replace(scan->found, g_strdup(info->address), info);
	bdfu_bluez_scan_return(task);
}

static void
bdfu_bluez_scan_probe_connected_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	BdfuBluezScan *scan = g_task_get_task_data(task);
	GError *error = NULL;
	BdfuConnection *conn = bdfu_bluez_connection_connect_finish(res, &error);

	if (conn == NULL) {
		g_clear_pointer(&scan->probe, bdfu_device_info_free);
		scan->error = error;
		g_prefix_error(&scan->error, "cannot read which services the device offers: ");
		bdfu_bluez_scan_return(task);
		return;
	}
	scan->probe->mode = bdfu_connection_get_mode(conn);
	scan->probe_conn = BDFU_BLUEZ_CONNECTION(conn);
	bdfu_connection_disconnect_async(
	    conn, NULL, bdfu_bluez_scan_probe_done_cb, g_steal_pointer(&task));
}

static void
bdfu_bluez_scan_return(GTask *task)
{
	BdfuBluezScan *scan = g_task_get_task_data(task);
	GPtrArray *devices;
	GHashTableIter iter;
	gpointer value;

	if (scan->error == NULL && scan->probe != NULL && g_hash_table_size(scan->found) == 0) {
		bdfu_bluez_connection_connect_async(scan->backend,
						    scan->probe->address,
						    g_task_get_cancellable(task),
						    bdfu_bluez_scan_probe_connected_cb,
						    g_object_ref(task));
		return;
	}

	if (scan->error != NULL) {
		g_task_return_error(task, g_steal_pointer(&scan->error));
		g_object_unref(task);
		return;
	}
	devices = g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_device_info_free);
	g_hash_table_iter_init(&iter, scan->found);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		BdfuDeviceInfo *info = value;
		bdfu_bluez_backend_set_expect_dfu(
		    scan->backend, info->address, scan->filter.dfu_only);
		g_ptr_array_add(devices, bdfu_device_info_copy(info));
	}
	g_ptr_array_sort(devices, bdfu_bluez_scan_rssi_cmp);
	g_task_return_pointer(task, devices, (GDestroyNotify)g_ptr_array_unref);
	/* the reference taken at the start */
	g_object_unref(task);
}

static void
bdfu_bluez_scan_stopped_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	BdfuBluezScan *scan = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

	if (reply == NULL)
		g_debug("StopDiscovery: %s", error->message);
	/* leave no filter behind for the next client (what bleak does) */
	g_dbus_connection_call(bdfu_bluez_backend_get_bus(scan->backend),
			       BDFU_BLUEZ_SERVICE,
			       bdfu_bluez_backend_get_adapter_path(scan->backend),
			       BDFU_BLUEZ_ADAPTER_IFACE,
			       "SetDiscoveryFilter",
			       g_variant_new_parsed("(@a{sv} {},)"),
			       NULL,
			       G_DBUS_CALL_FLAGS_NONE,
			       BDFU_BLUEZ_SHORT_CALL_MS,
			       NULL,
			       NULL,
			       NULL);
	bdfu_bluez_scan_return(task);
}

/* every exit goes through here, exactly once */
static void
bdfu_bluez_scan_finish_task(GTask *task)
{
	BdfuBluezScan *scan = g_task_get_task_data(task);

	if (scan->done)
		return;
	scan->done = TRUE;
	g_clear_signal_handler(&scan->sig_object_added, scan->manager);
	g_clear_signal_handler(&scan->sig_iface_added, scan->manager);
	g_clear_signal_handler(&scan->sig_props, scan->manager);
	g_clear_handle_id(&scan->timer_id, g_source_remove);
	g_clear_handle_id(&scan->cancel_idle_id, g_source_remove);
	if (scan->cancel_id != 0) {
		g_cancellable_disconnect(g_task_get_cancellable(task), scan->cancel_id);
		scan->cancel_id = 0;
	}
	/* one discovery session per bus connection: the last scan of this backend stops it */
	if (!scan->holds_discovery || !bdfu_bluez_backend_discovery_unref(scan->backend)) {
		scan->holds_discovery = FALSE;
		bdfu_bluez_scan_return(task);
		return;
	}
	/* stop scanning before anyone connects: it competes for radio time (BLUEZ.md §1.4) */
	scan->holds_discovery = FALSE;
	g_dbus_connection_call(bdfu_bluez_backend_get_bus(scan->backend),
			       BDFU_BLUEZ_SERVICE,
			       bdfu_bluez_backend_get_adapter_path(scan->backend),
			       BDFU_BLUEZ_ADAPTER_IFACE,
			       "StopDiscovery",
			       NULL,
			       NULL,
			       G_DBUS_CALL_FLAGS_NONE,
			       BDFU_BLUEZ_SHORT_CALL_MS,
			       NULL,
			       bdfu_bluez_scan_stopped_cb,
			       g_object_ref(task));
}

static gboolean
bdfu_bluez_scan_timeout_cb(gpointer user_data)
{
	GTask *task = G_TASK(user_data);
	BdfuBluezScan *scan = g_task_get_task_data(task);
	scan->timer_id = 0;
	bdfu_bluez_scan_finish_task(task);
	return G_SOURCE_REMOVE;
}

static gboolean
bdfu_bluez_scan_cancel_idle_cb(gpointer user_data)
{
	GTask *task = G_TASK(user_data);
	BdfuBluezScan *scan = g_task_get_task_data(task);
	scan->cancel_idle_id = 0;
	if (scan->done)
		return G_SOURCE_REMOVE;
	g_clear_error(&scan->error);
	scan->error = g_error_new_literal(BDFU_ERROR, BDFU_ERROR_CANCELLED, "scan cancelled");
	bdfu_bluez_scan_finish_task(task);
	return G_SOURCE_REMOVE;
}

/* may run inside g_cancellable_cancel() in any context: defer to ours */
static void
bdfu_bluez_scan_cancelled_cb(GCancellable *cancellable, gpointer user_data)
{
	GTask *task = G_TASK(user_data);
	BdfuBluezScan *scan = g_task_get_task_data(task);
	scan->cancel_idle_id = bdfu_bluez_task_idle_add(task, bdfu_bluez_scan_cancel_idle_cb);
}

static void
bdfu_bluez_scan_started_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	BdfuBluezScan *scan = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

	if (scan->done) {
		/* cancelled while starting, and nobody else scans */
		if (reply != NULL && !bdfu_bluez_backend_is_discovering(scan->backend))
			g_dbus_connection_call(G_DBUS_CONNECTION(source),
					       BDFU_BLUEZ_SERVICE,
					       bdfu_bluez_backend_get_adapter_path(scan->backend),
					       BDFU_BLUEZ_ADAPTER_IFACE,
					       "StopDiscovery",
					       NULL,
					       NULL,
					       G_DBUS_CALL_FLAGS_NONE,
					       BDFU_BLUEZ_SHORT_CALL_MS,
					       NULL,
					       NULL,
					       NULL);
		return;
	}
	if (reply == NULL && !bdfu_bluez_error_is(error, "org.bluez.Error.InProgress", NULL)) {
		/* InProgress: this connection already discovers */
		scan->error =
		    bdfu_bluez_error_convert(error,
					     "cannot start scanning",
					     bdfu_bluez_backend_get_adapter_name(scan->backend));
		bdfu_bluez_scan_finish_task(task);
		return;
	}
	scan->timer_id = g_timeout_add(scan->timeout_ms, bdfu_bluez_scan_timeout_cb, task);
}

static void
bdfu_bluez_scan_filter_set_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	BdfuBluezScan *scan = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

	if (scan->done)
		return;
	if (reply == NULL) {
		scan->error =
		    bdfu_bluez_error_convert(error,
					     "cannot set the discovery filter",
					     bdfu_bluez_backend_get_adapter_name(scan->backend));
		bdfu_bluez_scan_finish_task(task);
		return;
	}
	/* listen first, then start: nothing heard after StartDiscovery is missed */
	scan->sig_object_added = g_signal_connect(
	    scan->manager, "object-added", G_CALLBACK(bdfu_bluez_scan_object_added_cb), task);
	scan->sig_iface_added = g_signal_connect(
	    scan->manager, "interface-added", G_CALLBACK(bdfu_bluez_scan_iface_added_cb), task);
	scan->sig_props = g_signal_connect(scan->manager,
					   "interface-proxy-properties-changed",
					   G_CALLBACK(bdfu_bluez_scan_props_cb),
					   task);
	if (scan->joined) {
		scan->timer_id = g_timeout_add(scan->timeout_ms, bdfu_bluez_scan_timeout_cb, task);
		return;
	}
	g_dbus_connection_call(bdfu_bluez_backend_get_bus(scan->backend),
			       BDFU_BLUEZ_SERVICE,
			       bdfu_bluez_backend_get_adapter_path(scan->backend),
			       BDFU_BLUEZ_ADAPTER_IFACE,
			       "StartDiscovery",
			       NULL,
			       NULL,
			       G_DBUS_CALL_FLAGS_NONE,
			       BDFU_BLUEZ_SHORT_CALL_MS,
			       NULL,
			       bdfu_bluez_scan_started_cb,
			       g_object_ref(task));
}

/* the first 14 characters cover an address and its +1 twin (BLUEZ.md §1.3) */
static gchar *
bdfu_bluez_scan_common_prefix(BdfuBluezScan *scan)
{
	if (scan->addresses == NULL || scan->addresses[0] == NULL || scan->name_glob != NULL)
		return NULL;
	for (guint i = 1; scan->addresses[i] != NULL; i++) {
		if (g_ascii_strncasecmp(scan->addresses[0], scan->addresses[i], 14) != 0)
			return NULL;
	}
	return g_ascii_strup(scan->addresses[0], 14);
}

static GVariant *
bdfu_bluez_scan_build_filter(BdfuBluezScan *scan)
{
	GVariantBuilder builder;
	g_autofree gchar *pattern = bdfu_bluez_scan_common_prefix(scan);
	gboolean targeted = scan->addresses != NULL || scan->name_glob != NULL;

	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&builder, "{sv}", "Transport", g_variant_new_string("le"));
	/* the documented default is true, the code's is false: say it (BLUEZ.md §8 #16) */
	g_variant_builder_add(&builder, "{sv}", "DuplicateData", g_variant_new_boolean(TRUE));
	/* scans sharing the session share the filter: widen it, each checks its own matches */
	if (scan->joined) {
		g_clear_pointer(&pattern, g_free);
	} else if (scan->filter.dfu_only) {
		const gchar *uuids[] = {BDFU_UUID_DFU_SERVICE, NULL};
		g_variant_builder_add(&builder, "{sv}", "UUIDs", g_variant_new_strv(uuids, -1));
	} else if (!scan->filter.all && !targeted) {
		const gchar *uuids[] = {BDFU_UUID_DFU_SERVICE, BDFU_UUID_LEGACY_SERVICE, NULL};
		g_variant_builder_add(&builder, "{sv}", "UUIDs", g_variant_new_strv(uuids, -1));
	}
	if (pattern != NULL)
		g_variant_builder_add(&builder, "{sv}", "Pattern", g_variant_new_string(pattern));
	return g_variant_new("(a{sv})", &builder);
}

static void
bdfu_bluez_scan_set_filter(GTask *task)
{
	BdfuBluezScan *scan = g_task_get_task_data(task);
	scan->holds_discovery = TRUE;
	scan->joined = bdfu_bluez_backend_discovery_ref(scan->backend);
	g_dbus_connection_call(bdfu_bluez_backend_get_bus(scan->backend),
			       BDFU_BLUEZ_SERVICE,
			       bdfu_bluez_backend_get_adapter_path(scan->backend),
			       BDFU_BLUEZ_ADAPTER_IFACE,
			       "SetDiscoveryFilter",
			       bdfu_bluez_scan_build_filter(scan),
			       NULL,
			       G_DBUS_CALL_FLAGS_NONE,
			       BDFU_BLUEZ_SHORT_CALL_MS,
			       NULL,
			       bdfu_bluez_scan_filter_set_cb,
			       g_object_ref(task));
}

static void
bdfu_bluez_scan_removed_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	BdfuBluezScan *scan = g_task_get_task_data(task);
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, NULL);

	if (--scan->removals_pending > 0 || scan->done)
		return;
	bdfu_bluez_scan_set_filter(task);
}

/* BLUEZ.md §2.7: an unbonded bootloader object left from an earlier update carries a GATT
 * cache of that bootloader build: remove it so that the next advert creates a fresh one */
static void
bdfu_bluez_scan_remove_stale(GTask *task)
{
	BdfuBluezScan *scan = g_task_get_task_data(task);

	for (guint i = 0; scan->addresses != NULL && scan->addresses[i] != NULL; i++) {
		g_autoptr(GDBusObject) device =
		    bdfu_bluez_backend_find_device(scan->backend, scan->addresses[i]);
		if (device == NULL || bdfu_bluez_device_is_bonded(device) ||
		    bdfu_bluez_object_get_boolean(device, BDFU_BLUEZ_DEVICE_IFACE, "Connected"))
			continue;
		scan->removals_pending++;
		g_dbus_connection_call(bdfu_bluez_backend_get_bus(scan->backend),
				       BDFU_BLUEZ_SERVICE,
				       bdfu_bluez_backend_get_adapter_path(scan->backend),
				       BDFU_BLUEZ_ADAPTER_IFACE,
				       "RemoveDevice",
				       g_variant_new("(o)", g_dbus_object_get_object_path(device)),
				       NULL,
				       G_DBUS_CALL_FLAGS_NONE,
				       BDFU_BLUEZ_SHORT_CALL_MS,
				       NULL,
				       bdfu_bluez_scan_removed_cb,
				       g_object_ref(task));
	}
	if (scan->removals_pending == 0)
		bdfu_bluez_scan_set_filter(task);
}

static void
bdfu_bluez_scan_ready_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	BdfuBluezScan *scan = g_task_get_task_data(task);
	GError *error = NULL;

	if (!bdfu_bluez_backend_ensure_finish(scan->backend, res, &error)) {
		scan->error = error;
		bdfu_bluez_scan_finish_task(task);
		return;
	}
	if (scan->done)
		return;
	scan->manager = g_object_ref(bdfu_bluez_backend_get_manager(scan->backend));
	if (scan->filter.dfu_only)
		bdfu_bluez_scan_remove_stale(task);
	else
		bdfu_bluez_scan_set_filter(task);
}

void
bdfu_bluez_discovery_scan_async(BdfuBluezBackend *self,
				const BdfuScanFilter *filter,
				guint timeout_ms,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data)
{
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	BdfuBluezScan *scan = g_new0(BdfuBluezScan, 1);

	g_task_set_source_tag(task, bdfu_bluez_discovery_scan_async);
	/* cancellation is reported as BDFU_ERROR_CANCELLED, after StopDiscovery */
	g_task_set_check_cancellable(task, FALSE);
	scan->backend = g_object_ref(self);
	scan->filter = *filter;
	scan->addresses = g_strdupv(filter->addresses);
	scan->name_glob = g_strdup(filter->name_glob);
	scan->filter.addresses = scan->addresses;
	scan->filter.name_glob = scan->name_glob;
	scan->timeout_ms = MAX(timeout_ms, 100);
	scan->found = g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, (GDestroyNotify)bdfu_device_info_free);
	g_task_set_task_data(task, scan, (GDestroyNotify)bdfu_bluez_scan_free);
	if (cancellable != NULL)
		scan->cancel_id = g_cancellable_connect(
		    cancellable, G_CALLBACK(bdfu_bluez_scan_cancelled_cb), task, NULL);
	/* one reference lives until the result is returned, the other rides the call */
	bdfu_bluez_backend_ensure_async(self, NULL, bdfu_bluez_scan_ready_cb, g_object_ref(task));
}

GPtrArray *
bdfu_bluez_discovery_scan_finish(BdfuBluezBackend *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}
