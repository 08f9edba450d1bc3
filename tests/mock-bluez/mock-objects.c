/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mock-bluez.h"

#include <stdio.h>
#include <string.h>

/* the interfaces as bluetoothd 5.66 exports them (remote GATT objects have no Handle) */
static const gchar introspection_xml[] =
    "<node>"
    "<interface name='org.freedesktop.DBus.ObjectManager'>"
    " <method name='GetManagedObjects'><arg type='a{oa{sa{sv}}}' direction='out'/></method>"
    " <signal name='InterfacesAdded'><arg type='o'/><arg type='a{sa{sv}}'/></signal>"
    " <signal name='InterfacesRemoved'><arg type='o'/><arg type='as'/></signal>"
    "</interface>"
    "<interface name='org.bluez.AgentManager1'>"
    " <method name='RegisterAgent'><arg type='o' direction='in'/>"
    "  <arg type='s' direction='in'/></method>"
    " <method name='UnregisterAgent'><arg type='o' direction='in'/></method>"
    " <method name='RequestDefaultAgent'><arg type='o' direction='in'/></method>"
    "</interface>"
    "<interface name='org.bluez.Adapter1'>"
    " <method name='StartDiscovery'/>"
    " <method name='SetDiscoveryFilter'><arg type='a{sv}' direction='in'/></method>"
    " <method name='StopDiscovery'/>"
    " <method name='RemoveDevice'><arg type='o' direction='in'/></method>"
    " <method name='GetDiscoveryFilters'><arg type='as' direction='out'/></method>"
    " <property name='Address' type='s' access='read'/>"
    " <property name='AddressType' type='s' access='read'/>"
    " <property name='Name' type='s' access='read'/>"
    " <property name='Alias' type='s' access='readwrite'/>"
    " <property name='Class' type='u' access='read'/>"
    " <property name='Powered' type='b' access='readwrite'/>"
    " <property name='Discoverable' type='b' access='readwrite'/>"
    " <property name='DiscoverableTimeout' type='u' access='readwrite'/>"
    " <property name='Pairable' type='b' access='readwrite'/>"
    " <property name='PairableTimeout' type='u' access='readwrite'/>"
    " <property name='Discovering' type='b' access='read'/>"
    " <property name='UUIDs' type='as' access='read'/>"
    " <property name='Modalias' type='s' access='read'/>"
    " <property name='Roles' type='as' access='read'/>"
    "</interface>"
    "<interface name='org.bluez.Device1'>"
    " <method name='Disconnect'/>"
    " <method name='Connect'/>"
    " <method name='Pair'/>"
    " <method name='CancelPairing'/>"
    " <property name='Address' type='s' access='read'/>"
    " <property name='AddressType' type='s' access='read'/>"
    " <property name='Name' type='s' access='read'/>"
    " <property name='Alias' type='s' access='readwrite'/>"
    " <property name='Paired' type='b' access='read'/>"
    " <property name='Bonded' type='b' access='read'/>"
    " <property name='Trusted' type='b' access='readwrite'/>"
    " <property name='Blocked' type='b' access='readwrite'/>"
    " <property name='LegacyPairing' type='b' access='read'/>"
    " <property name='RSSI' type='n' access='read'/>"
    " <property name='Connected' type='b' access='read'/>"
    " <property name='UUIDs' type='as' access='read'/>"
    " <property name='Adapter' type='o' access='read'/>"
    " <property name='ServicesResolved' type='b' access='read'/>"
    "</interface>"
    "<interface name='org.bluez.GattService1'>"
    " <property name='UUID' type='s' access='read'/>"
    " <property name='Device' type='o' access='read'/>"
    " <property name='Primary' type='b' access='read'/>"
    " <property name='Includes' type='ao' access='read'/>"
    "</interface>"
    "<interface name='org.bluez.GattCharacteristic1'>"
    " <method name='ReadValue'><arg type='a{sv}' direction='in'/>"
    "  <arg type='ay' direction='out'/></method>"
    " <method name='WriteValue'><arg type='ay' direction='in'/>"
    "  <arg type='a{sv}' direction='in'/></method>"
    " <method name='AcquireWrite'><arg type='a{sv}' direction='in'/>"
    "  <arg type='h' direction='out'/><arg type='q' direction='out'/></method>"
    " <method name='AcquireNotify'><arg type='a{sv}' direction='in'/>"
    "  <arg type='h' direction='out'/><arg type='q' direction='out'/></method>"
    " <method name='StartNotify'/>"
    " <method name='StopNotify'/>"
    " <property name='UUID' type='s' access='read'/>"
    " <property name='Service' type='o' access='read'/>"
    " <property name='Value' type='ay' access='read'/>"
    " <property name='WriteAcquired' type='b' access='read'/>"
    " <property name='NotifyAcquired' type='b' access='read'/>"
    " <property name='Notifying' type='b' access='read'/>"
    " <property name='Flags' type='as' access='read'/>"
    " <property name='MTU' type='q' access='read'/>"
    "</interface>"
    "</node>";

typedef struct {
	MockObject *obj;
	gchar *name;
	GHashTable *props; /* name → GVariant, in no order; exported in XML order */
	MockMethodFunc method;
	MockSetFunc set;
	gpointer user_data;
	guint reg_id;
} MockIface;

struct _MockObject {
	Mock *mock;
	gchar *path;
	GPtrArray *ifaces; /* MockIface* */
	gboolean exported;
};

void
mock_log(Mock *mock, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *line = NULL;
	va_start(args, format);
	line = g_strdup_vprintf(format, args);
	va_end(args);
	g_debug("%s", line);
	if (mock->log != NULL) {
		fprintf(mock->log, "%s\n", line);
		fflush(mock->log);
	}
}

void
mock_return_error(Mock *mock,
		  GDBusMethodInvocation *invocation,
		  const gchar *name,
		  const gchar *message)
{
	mock_log(mock,
		 "ERR %s %s %s: %s",
		 g_dbus_method_invocation_get_method_name(invocation),
		 g_dbus_method_invocation_get_object_path(invocation),
		 name,
		 message);
	g_dbus_method_invocation_return_dbus_error(invocation, name, message);
}

/* "len=6 type=s:request offset=q:0": what a test needs to assert about a call's arguments */
static void
log_append_args(GString *line, GVariant *params)
{
	GVariantIter iter;
	GVariant *child;
	g_variant_iter_init(&iter, params);
	while ((child = g_variant_iter_next_value(&iter)) != NULL) {
		if (g_variant_is_of_type(child, G_VARIANT_TYPE_BYTESTRING)) {
			g_string_append_printf(
			    line, " len=%" G_GSIZE_FORMAT, g_variant_n_children(child));
		} else if (g_variant_is_of_type(child, G_VARIANT_TYPE_VARDICT)) {
			GVariantIter dict;
			const gchar *key;
			GVariant *value;
			g_variant_iter_init(&dict, child);
			while (g_variant_iter_next(&dict, "{&sv}", &key, &value)) {
				g_autofree gchar *text =
				    g_variant_is_of_type(value, G_VARIANT_TYPE_STRING)
					? g_variant_dup_string(value, NULL)
					: g_variant_print(value, FALSE);
				g_string_append_printf(
				    line, " %s=%s:%s", key, g_variant_get_type_string(value), text);
				g_variant_unref(value);
			}
		} else if (g_variant_is_of_type(child, G_VARIANT_TYPE_STRING) ||
			   g_variant_is_of_type(child, G_VARIANT_TYPE_OBJECT_PATH)) {
			g_string_append_printf(line, " %s", g_variant_get_string(child, NULL));
		} else {
			g_autofree gchar *text = g_variant_print(child, TRUE);
			g_string_append_printf(line, " %s", text);
		}
		g_variant_unref(child);
	}
}

static void
object_method_call(GDBusConnection *connection,
		   const gchar *sender,
		   const gchar *object_path,
		   const gchar *interface_name,
		   const gchar *method_name,
		   GVariant *parameters,
		   GDBusMethodInvocation *invocation,
		   gpointer user_data)
{
	MockIface *iface = user_data;
	Mock *mock = iface->obj->mock;
	const gchar *short_iface = strrchr(interface_name, '.');
	g_autoptr(GString) line = g_string_new(NULL);

	g_string_append_printf(line,
			       "%s.%s %s",
			       short_iface != NULL ? short_iface + 1 : interface_name,
			       method_name,
			       object_path);
	log_append_args(line, parameters);
	mock_log(mock, "%s", line->str);
	mock_watch_client(mock, sender);
	iface->method(
	    iface->obj, interface_name, method_name, parameters, invocation, iface->user_data);
}

static GVariant *
object_get_property(GDBusConnection *connection,
		    const gchar *sender,
		    const gchar *object_path,
		    const gchar *interface_name,
		    const gchar *property_name,
		    GError **error,
		    gpointer user_data)
{
	MockIface *iface = user_data;
	GVariant *value = g_hash_table_lookup(iface->props, property_name);
	if (value == NULL) {
		/* GetAll passes no error and skips absent properties, as BlueZ's exists() does */
		g_set_error(error,
			    G_DBUS_ERROR,
			    G_DBUS_ERROR_INVALID_ARGS,
			    "No such property '%s'",
			    property_name);
		return NULL;
	}
	return g_variant_ref(value);
}

static gboolean
object_set_property(GDBusConnection *connection,
		    const gchar *sender,
		    const gchar *object_path,
		    const gchar *interface_name,
		    const gchar *property_name,
		    GVariant *value,
		    GError **error,
		    gpointer user_data)
{
	MockIface *iface = user_data;
	mock_log(iface->obj->mock,
		 "Set %s %s.%s=%s",
		 object_path,
		 interface_name,
		 property_name,
		 g_variant_get_type_string(value));
	if (iface->set == NULL) {
		g_set_error_literal(
		    error, G_DBUS_ERROR, G_DBUS_ERROR_PROPERTY_READ_ONLY, "Property is read-only");
		return FALSE;
	}
	return iface->set(
	    iface->obj, interface_name, property_name, value, error, iface->user_data);
}

static const GDBusInterfaceVTable object_vtable = {
    object_method_call,
    object_get_property,
    object_set_property,
};

MockObject *
mock_object_new(Mock *mock, const gchar *path)
{
	MockObject *obj = g_new0(MockObject, 1);
	obj->mock = mock;
	obj->path = g_strdup(path);
	obj->ifaces = g_ptr_array_new();
	return obj;
}

static void
mock_iface_free(MockIface *iface)
{
	g_hash_table_unref(iface->props);
	g_free(iface->name);
	g_free(iface);
}

void
mock_object_add_iface(MockObject *obj,
		      const gchar *iface_name,
		      MockMethodFunc method,
		      MockSetFunc set,
		      gpointer user_data)
{
	MockIface *iface = g_new0(MockIface, 1);
	iface->obj = obj;
	iface->name = g_strdup(iface_name);
	iface->props =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_variant_unref);
	iface->method = method;
	iface->set = set;
	iface->user_data = user_data;
	g_ptr_array_add(obj->ifaces, iface);
}

static MockIface *
object_find_iface(MockObject *obj, const gchar *name)
{
	for (guint i = 0; i < obj->ifaces->len; i++) {
		MockIface *iface = g_ptr_array_index(obj->ifaces, i);
		if (g_strcmp0(iface->name, name) == 0)
			return iface;
	}
	return NULL;
}

/* properties in the order of the introspection data, present ones only */
static GVariant *
iface_props_variant(Mock *mock, MockIface *iface)
{
	GDBusInterfaceInfo *info =
	    g_dbus_node_info_lookup_interface(mock->introspection, iface->name);
	GVariantBuilder builder;
	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	for (guint i = 0; info != NULL && info->properties != NULL && info->properties[i]; i++) {
		GVariant *value = g_hash_table_lookup(iface->props, info->properties[i]->name);
		if (value != NULL)
			g_variant_builder_add(&builder, "{sv}", info->properties[i]->name, value);
	}
	return g_variant_builder_end(&builder);
}

/* bluetoothd lists the standard interfaces too, with empty dicts (§1.1) */
static GVariant *
object_ifaces_variant(MockObject *obj)
{
	GVariantBuilder builder;
	g_variant_builder_init(&builder, G_VARIANT_TYPE("a{sa{sv}}"));
	g_variant_builder_add(&builder,
			      "{s@a{sv}}",
			      "org.freedesktop.DBus.Introspectable",
			      g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
	for (guint i = 0; i < obj->ifaces->len; i++) {
		MockIface *iface = g_ptr_array_index(obj->ifaces, i);
		g_variant_builder_add(
		    &builder, "{s@a{sv}}", iface->name, iface_props_variant(obj->mock, iface));
	}
	g_variant_builder_add(&builder,
			      "{s@a{sv}}",
			      "org.freedesktop.DBus.Properties",
			      g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
	return g_variant_builder_end(&builder);
}

static void
emit(Mock *mock, const gchar *path, const gchar *iface, const gchar *signal, GVariant *params)
{
	g_autoptr(GError) error = NULL;
	g_variant_ref_sink(params);
	if (mock->bus_up &&
	    !g_dbus_connection_emit_signal(mock->bus, NULL, path, iface, signal, params, &error))
		g_warning("cannot emit %s on %s: %s", signal, path, error->message);
	g_variant_unref(params);
}

static void
paths_add(Mock *mock, const gchar *path, gint delta)
{
	gint count;
	g_mutex_lock(&mock->paths_lock);
	count = GPOINTER_TO_INT(g_hash_table_lookup(mock->paths, path)) + delta;
	if (count > 0)
		g_hash_table_insert(mock->paths, g_strdup(path), GINT_TO_POINTER(count));
	else
		g_hash_table_remove(mock->paths, path);
	g_mutex_unlock(&mock->paths_lock);
}

static void
object_register(MockObject *obj)
{
	Mock *mock = obj->mock;
	for (guint i = 0; i < obj->ifaces->len; i++) {
		MockIface *iface = g_ptr_array_index(obj->ifaces, i);
		g_autoptr(GError) error = NULL;
		GDBusInterfaceInfo *info =
		    g_dbus_node_info_lookup_interface(mock->introspection, iface->name);
		iface->reg_id = g_dbus_connection_register_object(
		    mock->bus, obj->path, info, &object_vtable, iface, NULL, &error);
		if (iface->reg_id == 0)
			g_warning(
			    "cannot export %s on %s: %s", iface->name, obj->path, error->message);
		else
			paths_add(mock, obj->path, 1);
	}
}

static void
object_unregister(MockObject *obj)
{
	for (guint i = 0; i < obj->ifaces->len; i++) {
		MockIface *iface = g_ptr_array_index(obj->ifaces, i);
		if (iface->reg_id == 0)
			continue;
		if (obj->mock->bus != NULL)
			g_dbus_connection_unregister_object(obj->mock->bus, iface->reg_id);
		iface->reg_id = 0;
		paths_add(obj->mock, obj->path, -1);
	}
}

void
mock_object_export(MockObject *obj)
{
	Mock *mock = obj->mock;
	g_return_if_fail(!obj->exported);
	obj->exported = TRUE;
	g_hash_table_insert(mock->objects, obj->path, obj);
	if (!mock->bus_up)
		return;
	object_register(obj);
	emit(mock,
	     "/",
	     "org.freedesktop.DBus.ObjectManager",
	     "InterfacesAdded",
	     g_variant_new("(o@a{sa{sv}})", obj->path, object_ifaces_variant(obj)));
}

void
mock_object_destroy(MockObject *obj, gboolean signal)
{
	Mock *mock;
	if (obj == NULL)
		return;
	mock = obj->mock;
	if (obj->exported) {
		g_hash_table_remove(mock->objects, obj->path);
		if (signal && mock->bus_up) {
			GVariantBuilder names;
			g_variant_builder_init(&names, G_VARIANT_TYPE_STRING_ARRAY);
			g_variant_builder_add(&names, "s", "org.freedesktop.DBus.Introspectable");
			for (guint i = 0; i < obj->ifaces->len; i++) {
				MockIface *iface = g_ptr_array_index(obj->ifaces, i);
				g_variant_builder_add(&names, "s", iface->name);
			}
			g_variant_builder_add(&names, "s", "org.freedesktop.DBus.Properties");
			emit(mock,
			     "/",
			     "org.freedesktop.DBus.ObjectManager",
			     "InterfacesRemoved",
			     g_variant_new("(oas)", obj->path, &names));
		}
		object_unregister(obj);
	}
	for (guint i = 0; i < obj->ifaces->len; i++)
		mock_iface_free(g_ptr_array_index(obj->ifaces, i));
	g_ptr_array_unref(obj->ifaces);
	g_free(obj->path);
	g_free(obj);
}

const gchar *
mock_object_get_path(MockObject *obj)
{
	return obj->path;
}

static void
emit_changed(MockObject *obj, const gchar *iface, const gchar *name, GVariant *value)
{
	GVariantBuilder changed;
	GVariantBuilder invalidated;
	if (!obj->exported)
		return;
	g_variant_builder_init(&changed, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_init(&invalidated, G_VARIANT_TYPE_STRING_ARRAY);
	if (value != NULL)
		g_variant_builder_add(&changed, "{sv}", name, value);
	else
		g_variant_builder_add(&invalidated, "s", name);
	emit(obj->mock,
	     obj->path,
	     "org.freedesktop.DBus.Properties",
	     "PropertiesChanged",
	     g_variant_new("(sa{sv}as)", iface, &changed, &invalidated));
}

void
mock_object_set(MockObject *obj,
		const gchar *iface_name,
		const gchar *name,
		GVariant *value,
		gboolean force)
{
	MockIface *iface = object_find_iface(obj, iface_name);
	GVariant *old;
	g_return_if_fail(iface != NULL);
	g_variant_ref_sink(value);
	old = g_hash_table_lookup(iface->props, name);
	if (old != NULL && !force && g_variant_equal(old, value)) {
		g_variant_unref(value);
		return;
	}
	g_hash_table_insert(iface->props, g_strdup(name), value);
	emit_changed(obj, iface_name, name, value);
}

void
mock_object_unset(MockObject *obj, const gchar *iface_name, const gchar *name)
{
	MockIface *iface = object_find_iface(obj, iface_name);
	g_return_if_fail(iface != NULL);
	if (g_hash_table_remove(iface->props, name))
		emit_changed(obj, iface_name, name, NULL);
}

GVariant *
mock_object_get(MockObject *obj, const gchar *iface_name, const gchar *name)
{
	MockIface *iface = object_find_iface(obj, iface_name);
	return iface != NULL ? g_hash_table_lookup(iface->props, name) : NULL;
}

gboolean
mock_object_get_bool(MockObject *obj, const gchar *iface_name, const gchar *name)
{
	GVariant *value = mock_object_get(obj, iface_name, name);
	return value != NULL && g_variant_get_boolean(value);
}

static void
om_method_call(GDBusConnection *connection,
	       const gchar *sender,
	       const gchar *object_path,
	       const gchar *interface_name,
	       const gchar *method_name,
	       GVariant *parameters,
	       GDBusMethodInvocation *invocation,
	       gpointer user_data)
{
	Mock *mock = user_data;
	GVariantBuilder builder;
	GHashTableIter iter;
	gpointer value;

	mock_log(mock, "ObjectManager.%s %s", method_name, object_path);
	mock_watch_client(mock, sender);
	g_variant_builder_init(&builder, G_VARIANT_TYPE("a{oa{sa{sv}}}"));
	g_hash_table_iter_init(&iter, mock->objects);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		MockObject *obj = value;
		g_variant_builder_add(
		    &builder, "{o@a{sa{sv}}}", obj->path, object_ifaces_variant(obj));
	}
	g_dbus_method_invocation_return_value(invocation,
					      g_variant_new("(a{oa{sa{sv}}})", &builder));
}

static const GDBusInterfaceVTable om_vtable = {om_method_call, NULL, NULL};

/* libdbus answers calls on unknown paths with UnknownObject, GDBus with UnknownMethod; BlueZ
 * clients (bleak, ours) look for UnknownObject (§1.7). Runs in GDBus' worker thread. */
static GDBusMessage *
unknown_object_filter(GDBusConnection *connection,
		      GDBusMessage *message,
		      gboolean incoming,
		      gpointer user_data)
{
	Mock *mock = user_data;
	const gchar *path;
	const gchar *iface;
	gboolean known;
	g_autoptr(GDBusMessage) reply = NULL;
	g_autofree gchar *text = NULL;

	if (!incoming ||
	    g_dbus_message_get_message_type(message) != G_DBUS_MESSAGE_TYPE_METHOD_CALL)
		return message;
	path = g_dbus_message_get_path(message);
	iface = g_dbus_message_get_interface(message);
	if (path == NULL || g_strcmp0(path, "/") == 0 ||
	    g_strcmp0(iface, "org.freedesktop.DBus.Introspectable") == 0 ||
	    g_strcmp0(iface, "org.freedesktop.DBus.Peer") == 0)
		return message;
	g_mutex_lock(&mock->paths_lock);
	known = g_hash_table_contains(mock->paths, path);
	g_mutex_unlock(&mock->paths_lock);
	if (known)
		return message;
	text =
	    g_strdup_printf("Method \"%s\" with signature \"%s\" on interface \"%s\" doesn't exist",
			    g_dbus_message_get_member(message),
			    g_dbus_message_get_signature(message),
			    iface != NULL ? iface : "");
	reply = g_dbus_message_new_method_error_literal(
	    message, "org.freedesktop.DBus.Error.UnknownObject", text);
	g_dbus_connection_send_message(
	    connection, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
	g_object_unref(message);
	return NULL;
}

void
mock_objects_attach(Mock *mock)
{
	g_autoptr(GError) error = NULL;
	GDBusInterfaceInfo *info = g_dbus_node_info_lookup_interface(
	    mock->introspection, "org.freedesktop.DBus.ObjectManager");
	mock->filter_id =
	    g_dbus_connection_add_filter(mock->bus, unknown_object_filter, mock, NULL);
	mock->om_reg_id =
	    g_dbus_connection_register_object(mock->bus, "/", info, &om_vtable, mock, NULL, &error);
	if (mock->om_reg_id == 0)
		g_error("cannot export the object manager: %s", error->message);
}

void
mock_objects_detach(Mock *mock)
{
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, mock->objects);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		object_unregister(value);
	if (mock->om_reg_id != 0)
		g_dbus_connection_unregister_object(mock->bus, mock->om_reg_id);
	mock->om_reg_id = 0;
	if (mock->filter_id != 0)
		g_dbus_connection_remove_filter(mock->bus, mock->filter_id);
	mock->filter_id = 0;
}

GDBusNodeInfo *
mock_introspection_new(void)
{
	return g_dbus_node_info_new_for_xml(introspection_xml, NULL);
}
