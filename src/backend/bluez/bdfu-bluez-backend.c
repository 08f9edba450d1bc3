/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bdfu-bluez"

#include "backend/bluez/bdfu-bluez-private.h"
#include "bluedfu/bdfu-error.h"

#include <string.h>

struct _BdfuBluezBackend {
	BdfuBackend parent_instance;
	gchar *adapter_wanted; /* "hci0" or NULL */
	gchar *adapter_name;
	gchar *adapter_path;
	gchar *bus_address;
	GDBusConnection *bus; /* private: discovery, notify sessions and agent die with it */
	GDBusObjectManager *manager;
	GPtrArray *waiters; /* GTask*, waiting for the bus and the object tree */
	gboolean opening;
	GHashTable *expect_dfu; /* address → TRUE */
	GHashTable *stale_gatt; /* address → TRUE: its cached tree predates a reset */
	BdfuBluezAgent *agent;
	gboolean seen_owner;	    /* bluetoothd was there once: wait for it to come back */
	GPtrArray *restart_waiters; /* GTask*, waiting for bluetoothd after a restart */
	guint restart_timer;
	gulong sig_owner;
	gulong sig_added;
	guint discovery_users; /* scans sharing our one discovery session */
};

G_DEFINE_TYPE(BdfuBluezBackend, bdfu_bluez_backend, BDFU_TYPE_BACKEND)

/* opening the bus and syncing the object tree ----------------------------------------------------
 */

static gchar *
bdfu_bluez_backend_list_adapters(BdfuBluezBackend *self)
{
	GList *objects = g_dbus_object_manager_get_objects(self->manager);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

	for (GList *l = objects; l != NULL; l = l->next) {
		GDBusObject *object = l->data;
		g_autoptr(GDBusInterface) iface =
		    g_dbus_object_get_interface(object, BDFU_BLUEZ_ADAPTER_IFACE);
		if (iface != NULL)
			g_ptr_array_add(names,
					g_path_get_basename(g_dbus_object_get_object_path(object)));
	}
	g_list_free_full(objects, g_object_unref);
	g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
	if (names->len == 0)
		return NULL;
	g_ptr_array_add(names, NULL);
	return g_strjoinv(", ", (gchar **)names->pdata);
}

static gint
bdfu_bluez_backend_object_cmp(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(g_dbus_object_get_object_path((GDBusObject *)a),
			 g_dbus_object_get_object_path((GDBusObject *)b));
}

/* pick the adapter now: it may have been unplugged or powered off since the last call */
static gboolean
bdfu_bluez_backend_choose_adapter(BdfuBluezBackend *self, GError **error)
{
	GList *objects = NULL;
	g_autofree gchar *owner = g_dbus_object_manager_client_get_name_owner(
	    G_DBUS_OBJECT_MANAGER_CLIENT(self->manager));
	g_autofree gchar *present = NULL;
	g_autofree gchar *unpowered = NULL;
	g_autofree gchar *chosen = NULL;

	if (owner == NULL) {
		g_set_error_literal(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_FAILED,
		    "bluetoothd is not running (nobody owns org.bluez on the system "
		    "bus).\nFix: start it with `systemctl start bluetooth`");
		return FALSE;
	}
	objects = g_list_sort(g_dbus_object_manager_get_objects(self->manager),
			      bdfu_bluez_backend_object_cmp);
	for (GList *l = objects; l != NULL && chosen == NULL; l = l->next) {
		GDBusObject *object = l->data;
		const gchar *path = g_dbus_object_get_object_path(object);
		g_autoptr(GDBusInterface) iface =
		    g_dbus_object_get_interface(object, BDFU_BLUEZ_ADAPTER_IFACE);
		g_autofree gchar *name = g_path_get_basename(path);
		g_autoptr(GVariant) roles = NULL;

		if (iface == NULL)
			continue;
		if (self->adapter_wanted != NULL && g_strcmp0(name, self->adapter_wanted) != 0)
			continue;
		/* older BlueZ (and dbusmock) have no Roles: accept them */
		roles = bdfu_bluez_object_get_property(object, BDFU_BLUEZ_ADAPTER_IFACE, "Roles");
		if (roles != NULL && g_variant_is_of_type(roles, G_VARIANT_TYPE_STRING_ARRAY)) {
			g_autofree const gchar **strv = g_variant_get_strv(roles, NULL);
			if (!g_strv_contains(strv, "central"))
				continue;
		}
		if (!bdfu_bluez_object_get_boolean(object, BDFU_BLUEZ_ADAPTER_IFACE, "Powered")) {
			if (unpowered == NULL)
				unpowered = g_strdup(name);
			continue;
		}
		chosen = g_strdup(name);
	}
	g_list_free_full(objects, g_object_unref);

	if (chosen == NULL && unpowered != NULL) {
		g_set_error(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_FAILED,
		    "Bluetooth adapter %s is not powered.\nFix: run `bluetoothctl power on`%s",
		    unpowered,
		    self->adapter_wanted == NULL ? "" : " (after `bluetoothctl select` of it)");
		return FALSE;
	}
	if (chosen == NULL) {
		present = bdfu_bluez_backend_list_adapters(self);
		if (self->adapter_wanted != NULL && present != NULL)
			g_set_error(error,
				    BDFU_ERROR,
				    BDFU_ERROR_NOT_FOUND,
				    "there is no Bluetooth adapter %s; adapters present: %s.\n"
				    "Fix: pass one of them to --adapter",
				    self->adapter_wanted,
				    present);
		else
			g_set_error_literal(
			    error,
			    BDFU_ERROR,
			    BDFU_ERROR_NOT_FOUND,
			    "no Bluetooth adapter is present.\nFix: plug one in, and "
			    "check `rfkill list` and `bluetoothctl list`");
		return FALSE;
	}
	g_free(self->adapter_name);
	g_free(self->adapter_path);
	self->adapter_path = g_strdup_printf("/org/bluez/%s", chosen);
	self->adapter_name = g_steal_pointer(&chosen);
	return TRUE;
}

static void
bdfu_bluez_backend_finish_waiters(BdfuBluezBackend *self, const GError *error)
{
	g_autoptr(GPtrArray) waiters = g_steal_pointer(&self->waiters);
	self->waiters = g_ptr_array_new_with_free_func(g_object_unref);
	self->opening = FALSE;
	for (guint i = 0; i < waiters->len; i++) {
		GTask *task = g_ptr_array_index(waiters, i);
		GError *choose_error = NULL;
		if (error != NULL)
			g_task_return_error(task, g_error_copy(error));
		else if (!bdfu_bluez_backend_choose_adapter(self, &choose_error))
			g_task_return_error(task, choose_error);
		else
			g_task_return_boolean(task, TRUE);
	}
}

static void
bdfu_bluez_backend_owner_cb(GObject *manager, GParamSpec *pspec, gpointer user_data);
static void
bdfu_bluez_backend_object_added_cb(GDBusObjectManager *manager,
				   GDBusObject *object,
				   gpointer user_data);

static void
bdfu_bluez_backend_manager_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(BdfuBluezBackend) self = BDFU_BLUEZ_BACKEND(user_data);
	g_autoptr(GError) error = NULL;
	GDBusObjectManager *manager = g_dbus_object_manager_client_new_finish(res, &error);
	g_autofree gchar *owner = NULL;

	if (manager == NULL) {
		g_autoptr(GError) converted =
		    bdfu_bluez_error_convert(error, "cannot read the BlueZ object tree", NULL);
		bdfu_bluez_backend_finish_waiters(self, converted);
		return;
	}
	self->manager = manager;
	owner = g_dbus_object_manager_client_get_name_owner(G_DBUS_OBJECT_MANAGER_CLIENT(manager));
	self->seen_owner = owner != NULL;
	self->sig_owner = g_signal_connect(
	    manager, "notify::name-owner", G_CALLBACK(bdfu_bluez_backend_owner_cb), self);
	self->sig_added = g_signal_connect(
	    manager, "object-added", G_CALLBACK(bdfu_bluez_backend_object_added_cb), self);
	bdfu_bluez_backend_finish_waiters(self, NULL);
}

static void
bdfu_bluez_backend_bus_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(BdfuBluezBackend) self = BDFU_BLUEZ_BACKEND(user_data);
	g_autoptr(GError) error = NULL;
	GDBusConnection *bus = g_dbus_connection_new_for_address_finish(res, &error);

	if (bus == NULL) {
		g_autoptr(GError) converted = g_error_new(BDFU_ERROR,
							  BDFU_ERROR_FAILED,
							  "cannot connect to the system bus at %s: "
							  "%s.\nFix: check that dbus is running",
							  self->bus_address,
							  error->message);
		bdfu_bluez_backend_finish_waiters(self, converted);
		return;
	}
	self->bus = bus;
	g_dbus_connection_set_exit_on_close(bus, FALSE);
	/* GDBusObjectManagerClient subscribes to InterfacesAdded/Removed and PropertiesChanged
	 * before GetManagedObjects, and re-syncs when org.bluez gets a new owner (BLUEZ.md §1.1) */
	g_dbus_object_manager_client_new(bus,
					 G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
					 BDFU_BLUEZ_SERVICE,
					 "/",
					 NULL,
					 NULL,
					 NULL,
					 NULL,
					 bdfu_bluez_backend_manager_cb,
					 g_object_ref(self));
}

static void
bdfu_bluez_backend_finish_restart_waiters(BdfuBluezBackend *self, gboolean final)
{
	g_autoptr(GPtrArray) waiters = NULL;
	GError *error = NULL;
	gboolean ok;

	if (self->restart_waiters->len == 0)
		return;
	ok = bdfu_bluez_backend_choose_adapter(self, &error);
	if (!ok && !final) {
		g_error_free(error);
		return;
	}
	g_clear_handle_id(&self->restart_timer, g_source_remove);
	waiters = g_steal_pointer(&self->restart_waiters);
	self->restart_waiters = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; i < waiters->len; i++) {
		GTask *task = g_ptr_array_index(waiters, i);
		if (ok)
			g_task_return_boolean(task, TRUE);
		else
			g_task_return_error(task, g_error_copy(error));
	}
	g_clear_error(&error);
}

static gboolean
bdfu_bluez_backend_restart_timeout_cb(gpointer user_data)
{
	BdfuBluezBackend *self = BDFU_BLUEZ_BACKEND(user_data);
	self->restart_timer = 0;
	bdfu_bluez_backend_finish_restart_waiters(self, TRUE);
	return G_SOURCE_REMOVE;
}

static void
bdfu_bluez_backend_owner_cb(GObject *manager, GParamSpec *pspec, gpointer user_data)
{
	BdfuBluezBackend *self = BDFU_BLUEZ_BACKEND(user_data);
	g_autofree gchar *owner =
	    g_dbus_object_manager_client_get_name_owner(G_DBUS_OBJECT_MANAGER_CLIENT(manager));
	if (owner == NULL)
		return;
	self->seen_owner = TRUE;
	bdfu_bluez_backend_finish_restart_waiters(self, FALSE);
}

static void
bdfu_bluez_backend_object_added_cb(GDBusObjectManager *manager,
				   GDBusObject *object,
				   gpointer user_data)
{
	bdfu_bluez_backend_finish_restart_waiters(BDFU_BLUEZ_BACKEND(user_data), FALSE);
}

void
bdfu_bluez_backend_ensure_async(BdfuBluezBackend *self,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data)
{
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	g_task_set_source_tag(task, bdfu_bluez_backend_ensure_async);

	if (self->manager != NULL) {
		GError *error = NULL;
		if (bdfu_bluez_backend_choose_adapter(self, &error)) {
			g_task_return_boolean(task, TRUE);
			g_object_unref(task);
			return;
		}
		if (!self->seen_owner) {
			g_task_return_error(task, error);
			g_object_unref(task);
			return;
		}
		/* bluetoothd restarts (or its adapter is not exported yet): give it a moment */
		g_error_free(error);
		g_ptr_array_add(self->restart_waiters, task);
		if (self->restart_timer == 0)
			self->restart_timer = g_timeout_add(BDFU_BLUEZ_RESTART_WAIT_MS,
							    bdfu_bluez_backend_restart_timeout_cb,
							    self);
		return;
	}
	g_ptr_array_add(self->waiters, task);
	if (self->opening)
		return;
	self->opening = TRUE;
	g_dbus_connection_new_for_address(self->bus_address,
					  G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
					      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
					  NULL,
					  NULL,
					  bdfu_bluez_backend_bus_cb,
					  g_object_ref(self));
}

gboolean
bdfu_bluez_backend_ensure_finish(BdfuBluezBackend *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

/* accessors for the other files ------------------------------------------------------------------
 */

guint
bdfu_bluez_task_idle_add(GTask *task, GSourceFunc func)
{
	GSource *source = g_idle_source_new();
	guint id;
	g_source_set_callback(source, func, task, NULL);
	id = g_source_attach(source, g_task_get_context(task));
	g_source_unref(source);
	return id;
}

GDBusConnection *
bdfu_bluez_backend_get_bus(BdfuBluezBackend *self)
{
	return self->bus;
}

GDBusObjectManager *
bdfu_bluez_backend_get_manager(BdfuBluezBackend *self)
{
	return self->manager;
}

const gchar *
bdfu_bluez_backend_get_adapter_path(BdfuBluezBackend *self)
{
	return self->adapter_path;
}

const gchar *
bdfu_bluez_backend_get_adapter_name(BdfuBluezBackend *self)
{
	return self->adapter_name;
}

BdfuBluezAgent *
bdfu_bluez_backend_get_agent(BdfuBluezBackend *self, GError **error)
{
	if (self->agent == NULL)
		self->agent = bdfu_bluez_agent_new(self->bus, error);
	return self->agent;
}

GDBusObject *
bdfu_bluez_backend_find_device(BdfuBluezBackend *self, const gchar *address)
{
	GList *objects;
	GDBusObject *found = NULL;

	if (self->manager == NULL || self->adapter_path == NULL)
		return NULL;
	objects = g_dbus_object_manager_get_objects(self->manager);
	for (GList *l = objects; l != NULL && found == NULL; l = l->next) {
		GDBusObject *object = l->data;
		g_autofree gchar *addr =
		    bdfu_bluez_object_get_string(object, BDFU_BLUEZ_DEVICE_IFACE, "Address");
		g_autofree gchar *adapter =
		    bdfu_bluez_object_get_string(object, BDFU_BLUEZ_DEVICE_IFACE, "Adapter");
		/* the same address can exist under several adapters */
		if (addr != NULL && g_ascii_strcasecmp(addr, address) == 0 &&
		    (adapter == NULL || g_strcmp0(adapter, self->adapter_path) == 0))
			found = g_object_ref(object);
	}
	g_list_free_full(objects, g_object_unref);
	return found;
}

void
bdfu_bluez_backend_set_expect_dfu(BdfuBluezBackend *self, const gchar *address, gboolean expect)
{
	if (expect)
		g_hash_table_add(self->expect_dfu, g_ascii_strup(address, -1));
	else {
		g_autofree gchar *key = g_ascii_strup(address, -1);
		g_hash_table_remove(self->expect_dfu, key);
	}
}

gboolean
bdfu_bluez_backend_get_expect_dfu(BdfuBluezBackend *self, const gchar *address)
{
	g_autofree gchar *key = g_ascii_strup(address, -1);
	return g_hash_table_contains(self->expect_dfu, key);
}

void
bdfu_bluez_backend_set_gatt_stale(BdfuBluezBackend *self, const gchar *address, gboolean stale)
{
	if (stale)
		g_hash_table_add(self->stale_gatt, g_ascii_strup(address, -1));
	else {
		g_autofree gchar *key = g_ascii_strup(address, -1);
		g_hash_table_remove(self->stale_gatt, key);
	}
}

gboolean
bdfu_bluez_backend_get_gatt_stale(BdfuBluezBackend *self, const gchar *address)
{
	g_autofree gchar *key = g_ascii_strup(address, -1);
	return g_hash_table_contains(self->stale_gatt, key);
}

gboolean
bdfu_bluez_backend_discovery_ref(BdfuBluezBackend *self)
{
	return self->discovery_users++ > 0;
}

gboolean
bdfu_bluez_backend_discovery_unref(BdfuBluezBackend *self)
{
	g_return_val_if_fail(self->discovery_users > 0, FALSE);
	return --self->discovery_users == 0;
}

gboolean
bdfu_bluez_backend_is_discovering(BdfuBluezBackend *self)
{
	return self->discovery_users > 0;
}

/* BdfuBackend -------------------------------------------------------------------------------------
 */

static void
bdfu_bluez_backend_scan_async(BdfuBackend *backend,
			      const BdfuScanFilter *filter,
			      guint timeout_ms,
			      GCancellable *cancellable,
			      GAsyncReadyCallback callback,
			      gpointer user_data)
{
	bdfu_bluez_discovery_scan_async(
	    BDFU_BLUEZ_BACKEND(backend), filter, timeout_ms, cancellable, callback, user_data);
}

static GPtrArray *
bdfu_bluez_backend_scan_finish(BdfuBackend *backend, GAsyncResult *res, GError **error)
{
	return bdfu_bluez_discovery_scan_finish(BDFU_BLUEZ_BACKEND(backend), res, error);
}

static void
bdfu_bluez_backend_connect_async(BdfuBackend *backend,
				 const gchar *address,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data)
{
	bdfu_bluez_connection_connect_async(
	    BDFU_BLUEZ_BACKEND(backend), address, cancellable, callback, user_data);
}

static BdfuConnection *
bdfu_bluez_backend_connect_finish(BdfuBackend *backend, GAsyncResult *res, GError **error)
{
	return bdfu_bluez_connection_connect_finish(res, error);
}

static void
bdfu_bluez_backend_remove_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autofree gchar *address = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
	if (reply == NULL && !bdfu_bluez_error_is(error, "org.bluez.Error.DoesNotExist", NULL))
		g_debug("RemoveDevice %s: %s", address, error->message);
}

/* BLUEZ.md §1.7: drop the stale cache of an unbonded device; a bond is never destroyed */
static void
bdfu_bluez_backend_forget_device(BdfuBackend *backend, const gchar *address)
{
	BdfuBluezBackend *self = BDFU_BLUEZ_BACKEND(backend);
	g_autoptr(GDBusObject) device = bdfu_bluez_backend_find_device(self, address);

	if (device == NULL)
		return;
	if (bdfu_bluez_device_is_bonded(device)) {
		g_debug("keeping %s: it is bonded", address);
		return;
	}
	g_dbus_connection_call(self->bus,
			       BDFU_BLUEZ_SERVICE,
			       self->adapter_path,
			       BDFU_BLUEZ_ADAPTER_IFACE,
			       "RemoveDevice",
			       g_variant_new("(o)", g_dbus_object_get_object_path(device)),
			       NULL,
			       G_DBUS_CALL_FLAGS_NONE,
			       BDFU_BLUEZ_SHORT_CALL_MS,
			       NULL,
			       bdfu_bluez_backend_remove_cb,
			       g_strdup(address));
}

static const gchar *
bdfu_bluez_backend_get_name(BdfuBackend *backend)
{
	return "bluez";
}

static void
bdfu_bluez_backend_closed_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GDBusConnection *bus = G_DBUS_CONNECTION(source);
	g_dbus_connection_close_finish(bus, res, NULL);
	g_object_unref(bus);
}

/* a Disconnect still queued when the process exits would leave the link up for others
 * (BLUEZ.md §8 #13): write it out now; this does not wait for bluetoothd's answer */
static void
bdfu_bluez_backend_flush(BdfuBackend *backend)
{
	BdfuBluezBackend *self = BDFU_BLUEZ_BACKEND(backend);
	if (self->bus != NULL)
		g_dbus_connection_flush_sync(self->bus, NULL, NULL);
}

static void
bdfu_bluez_backend_dispose(GObject *object)
{
	BdfuBluezBackend *self = BDFU_BLUEZ_BACKEND(object);
	g_clear_pointer(&self->agent, bdfu_bluez_agent_free);
	g_clear_handle_id(&self->restart_timer, g_source_remove);
	if (self->manager != NULL) {
		g_clear_signal_handler(&self->sig_owner, self->manager);
		g_clear_signal_handler(&self->sig_added, self->manager);
	}
	g_clear_object(&self->manager);
	if (self->bus != NULL) {
		/* queued messages (Disconnect, StopDiscovery) must go out even when the process
		 * exits right after: a local write, it does not wait for any peer */
		GDBusConnection *bus = g_steal_pointer(&self->bus);
		g_dbus_connection_flush_sync(bus, NULL, NULL);
		g_dbus_connection_close(bus, NULL, bdfu_bluez_backend_closed_cb, NULL);
	}
	G_OBJECT_CLASS(bdfu_bluez_backend_parent_class)->dispose(object);
}

static void
bdfu_bluez_backend_finalize(GObject *object)
{
	BdfuBluezBackend *self = BDFU_BLUEZ_BACKEND(object);
	g_free(self->adapter_wanted);
	g_free(self->adapter_name);
	g_free(self->adapter_path);
	g_free(self->bus_address);
	g_ptr_array_unref(self->waiters);
	g_ptr_array_unref(self->restart_waiters);
	g_hash_table_unref(self->expect_dfu);
	g_hash_table_unref(self->stale_gatt);
	G_OBJECT_CLASS(bdfu_bluez_backend_parent_class)->finalize(object);
}

static void
bdfu_bluez_backend_class_init(BdfuBluezBackendClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	BdfuBackendClass *backend_class = BDFU_BACKEND_CLASS(klass);

	object_class->dispose = bdfu_bluez_backend_dispose;
	object_class->finalize = bdfu_bluez_backend_finalize;
	backend_class->scan_async = bdfu_bluez_backend_scan_async;
	backend_class->scan_finish = bdfu_bluez_backend_scan_finish;
	backend_class->connect_async = bdfu_bluez_backend_connect_async;
	backend_class->connect_finish = bdfu_bluez_backend_connect_finish;
	backend_class->forget_device = bdfu_bluez_backend_forget_device;
	backend_class->get_name = bdfu_bluez_backend_get_name;
	backend_class->flush = bdfu_bluez_backend_flush;
}

static void
bdfu_bluez_backend_init(BdfuBluezBackend *self)
{
	self->waiters = g_ptr_array_new_with_free_func(g_object_unref);
	self->restart_waiters = g_ptr_array_new_with_free_func(g_object_unref);
	self->expect_dfu = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->stale_gatt = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

BdfuBackend *
bdfu_bluez_backend_new(const gchar *adapter, GError **error)
{
	g_autoptr(BdfuBluezBackend) self = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *address = NULL;

	if (adapter != NULL && (strlen(adapter) == 0 || strchr(adapter, '/') != NULL ||
				!g_dbus_is_member_name(adapter))) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "'%s' is not an adapter name: use hci0, hci1, …",
			    adapter);
		return NULL;
	}
	/* reads DBUS_SYSTEM_BUS_ADDRESS or the default socket path; no I/O */
	address = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SYSTEM, NULL, &error_local);
	if (address == NULL) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_FAILED,
			    "cannot find the system bus: %s",
			    error_local->message);
		return NULL;
	}
	self = g_object_new(BDFU_TYPE_BLUEZ_BACKEND, NULL);
	self->adapter_wanted = g_strdup(adapter);
	self->bus_address = g_steal_pointer(&address);
	return BDFU_BACKEND(g_steal_pointer(&self));
}
