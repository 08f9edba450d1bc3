/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mock-bluez.h"

#include <string.h>

#define ERR_INVALID_ARGS "org.bluez.Error.InvalidArguments"
#define MSG_INVALID_ARGS "Invalid arguments in method call"

static gboolean
adapter_powered(Mock *mock)
{
	return mock_object_get_bool(mock->adapter, MOCK_IFACE_ADAPTER, "Powered");
}

gboolean
mock_adapter_is_discovering(Mock *mock)
{
	return g_hash_table_size(mock->discovery) > 0;
}

/* the checks of 5.66's parse_discovery_filter_dict (§1.3): exact types, known keys, ranges */
static gboolean
filter_is_valid(GVariant *filter)
{
	GVariantIter iter;
	const gchar *key;
	GVariant *value;
	gboolean has_rssi = FALSE;
	gboolean has_pathloss = FALSE;
	gboolean ok = TRUE;

	g_variant_iter_init(&iter, filter);
	while (ok && g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
		if (g_strcmp0(key, "UUIDs") == 0) {
			ok = g_variant_is_of_type(value, G_VARIANT_TYPE_STRING_ARRAY);
		} else if (g_strcmp0(key, "RSSI") == 0) {
			ok = g_variant_is_of_type(value, G_VARIANT_TYPE_INT16) &&
			     g_variant_get_int16(value) >= -127 && g_variant_get_int16(value) <= 20;
			has_rssi = TRUE;
		} else if (g_strcmp0(key, "Pathloss") == 0) {
			ok = g_variant_is_of_type(value, G_VARIANT_TYPE_UINT16);
			has_pathloss = TRUE;
		} else if (g_strcmp0(key, "Transport") == 0) {
			const gchar *t = g_variant_is_of_type(value, G_VARIANT_TYPE_STRING)
					     ? g_variant_get_string(value, NULL)
					     : NULL;
			ok = g_strcmp0(t, "auto") == 0 || g_strcmp0(t, "bredr") == 0 ||
			     g_strcmp0(t, "le") == 0;
		} else if (g_strcmp0(key, "DuplicateData") == 0 ||
			   g_strcmp0(key, "Discoverable") == 0) {
			ok = g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN);
		} else if (g_strcmp0(key, "Pattern") == 0) {
			ok = g_variant_is_of_type(value, G_VARIANT_TYPE_STRING);
		} else {
			ok = FALSE;
		}
		g_variant_unref(value);
	}
	return ok && !(has_rssi && has_pathloss);
}

static gboolean
filter_matches(GVariant *filter,
	       const gchar *address,
	       const gchar *name,
	       const gchar *const *adv_uuids,
	       gint16 rssi,
	       gboolean discoverable)
{
	const gchar *pattern = NULL;
	g_autofree const gchar **uuids = NULL;
	gint16 min_rssi;

	if (filter == NULL)
		return discoverable;
	if (g_variant_lookup(filter, "RSSI", "n", &min_rssi) && rssi < min_rssi)
		return FALSE;
	if (g_variant_lookup(filter, "UUIDs", "^a&s", &uuids) && uuids[0] != NULL) {
		/* only the AD service UUID list counts, compared as 128-bit strings */
		gboolean found = FALSE;
		for (guint i = 0; uuids[i] != NULL; i++)
			for (guint j = 0; adv_uuids[j] != NULL; j++)
				found |= g_ascii_strcasecmp(uuids[i], adv_uuids[j]) == 0 ||
					 (strlen(uuids[i]) == 4 &&
					  g_ascii_strncasecmp(uuids[i], adv_uuids[j] + 4, 4) == 0);
		if (!found)
			return FALSE;
	}
	if (g_variant_lookup(filter, "Pattern", "&s", &pattern)) {
		/* a pattern disregards the discoverable flags (device_is_discoverable) */
		return pattern[0] == '\0' || strncmp(address, pattern, strlen(pattern)) == 0 ||
		       (name != NULL && strncmp(name, pattern, strlen(pattern)) == 0);
	}
	return discoverable;
}

/* one advertising round: every device that advertises now, seen through the merged filters */
static gboolean
adv_tick(gpointer user_data)
{
	Mock *mock = user_data;
	for (guint i = 0; i < mock->phys->len; i++) {
		MockPhys *phys = g_ptr_array_index(mock->phys, i);
		g_autofree gchar *address = NULL;
		GHashTableIter iter;
		gpointer value;
		gboolean seen = FALSE;
		gboolean any_filter = FALSE;
		gboolean known;

		mock_phys_run(phys);
		address = mock_phys_adv_address(phys);
		if (address == NULL)
			continue;
		known = mock_device_lookup(mock, address) != NULL;
		g_hash_table_iter_init(&iter, mock->discovery);
		while (g_hash_table_iter_next(&iter, NULL, &value)) {
			GVariant *filter = value;
			if (filter != NULL && g_variant_n_children(filter) > 0)
				any_filter = TRUE;
			/* existing objects are updated whatever their flags */
			seen |= filter_matches(
			    filter != NULL && g_variant_n_children(filter) > 0 ? filter : NULL,
			    address,
			    mock_phys_adv_name(phys),
			    mock_phys_adv_uuids(phys),
			    (gint16)phys->rssi,
			    known || mock_phys_discoverable(phys));
		}
		if (seen)
			mock_device_advert(mock, phys, address, any_filter);
	}
	/* temporary devices go TemporaryTimeout after their last advert (§1.7) */
	for (guint i = 0; i < mock->devices->len; i++) {
		MockDevice *dev = g_ptr_array_index(mock->devices, i);
		if (dev->temporary && !dev->link_up && dev->pending_connect == NULL &&
		    g_get_monotonic_time() - dev->last_seen_us >
			(gint64)mock->temporary_timeout_s * G_USEC_PER_SEC) {
			mock_log(mock, "# temporary device %s removed", dev->address);
			mock_device_remove(dev, NULL);
			i--;
		}
	}
	return G_SOURCE_CONTINUE;
}

static void
discovery_changed(Mock *mock)
{
	gboolean on = mock_adapter_is_discovering(mock);
	if (on == mock_object_get_bool(mock->adapter, MOCK_IFACE_ADAPTER, "Discovering"))
		return;
	mock_object_set(
	    mock->adapter, MOCK_IFACE_ADAPTER, "Discovering", g_variant_new_boolean(on), FALSE);
	if (on) {
		mock->adv_timer = g_timeout_add(mock->adv_interval_ms, adv_tick, mock);
		adv_tick(mock);
		return;
	}
	g_clear_handle_id(&mock->adv_timer, g_source_remove);
	/* discovery_cleanup → invalidate_rssi_and_tx_power */
	for (guint i = 0; i < mock->devices->len; i++) {
		MockDevice *dev = g_ptr_array_index(mock->devices, i);
		mock_object_unset(dev->obj, MOCK_IFACE_DEVICE, "RSSI");
		dev->last_rssi = 0;
	}
}

static void
adapter_method(MockObject *obj,
	       const gchar *iface,
	       const gchar *method,
	       GVariant *params,
	       GDBusMethodInvocation *invocation,
	       gpointer user_data)
{
	Mock *mock = user_data;
	const gchar *sender = g_dbus_method_invocation_get_sender(invocation);

	if (g_strcmp0(method, "GetDiscoveryFilters") == 0) {
		const gchar *keys[] = {"UUIDs",
				       "RSSI",
				       "Pathloss",
				       "Transport",
				       "DuplicateData",
				       "Discoverable",
				       "Pattern",
				       NULL};
		g_dbus_method_invocation_return_value(invocation, g_variant_new("(^as)", keys));
		return;
	}
	if (!adapter_powered(mock)) {
		mock_return_error(
		    mock, invocation, "org.bluez.Error.NotReady", "Resource Not Ready");
		return;
	}
	if (g_strcmp0(method, "SetDiscoveryFilter") == 0) {
		g_autoptr(GVariant) filter = g_variant_get_child_value(params, 0);
		if (!filter_is_valid(filter)) {
			mock_return_error(mock, invocation, ERR_INVALID_ARGS, MSG_INVALID_ARGS);
			return;
		}
		if (g_variant_n_children(filter) == 0) {
			g_hash_table_remove(mock->filters, sender);
			if (g_hash_table_contains(mock->discovery, sender))
				g_hash_table_insert(mock->discovery, g_strdup(sender), NULL);
		} else {
			g_hash_table_insert(mock->filters, g_strdup(sender), g_variant_ref(filter));
			if (g_hash_table_contains(mock->discovery, sender))
				g_hash_table_insert(
				    mock->discovery, g_strdup(sender), g_variant_ref(filter));
		}
		g_dbus_method_invocation_return_value(invocation, NULL);
		return;
	}
	if (g_strcmp0(method, "StartDiscovery") == 0) {
		GVariant *filter = g_hash_table_lookup(mock->filters, sender);
		if (g_hash_table_contains(mock->discovery, sender)) {
			mock_return_error(mock,
					  invocation,
					  "org.bluez.Error.InProgress",
					  "Operation already in progress");
			return;
		}
		g_hash_table_insert(mock->discovery,
				    g_strdup(sender),
				    filter != NULL ? g_variant_ref(filter) : NULL);
		g_dbus_method_invocation_return_value(invocation, NULL);
		discovery_changed(mock);
		return;
	}
	if (g_strcmp0(method, "StopDiscovery") == 0) {
		if (!g_hash_table_remove(mock->discovery, sender)) {
			mock_return_error(
			    mock, invocation, "org.bluez.Error.Failed", "No discovery started");
			return;
		}
		g_dbus_method_invocation_return_value(invocation, NULL);
		discovery_changed(mock);
		return;
	}
	if (g_strcmp0(method, "RemoveDevice") == 0) {
		const gchar *path;
		MockDevice *dev;
		g_variant_get(params, "(&o)", &path);
		dev = mock_device_lookup_path(mock, path);
		if (dev == NULL) {
			mock_return_error(
			    mock, invocation, "org.bluez.Error.DoesNotExist", "Does Not Exist");
			return;
		}
		mock_device_remove(dev, invocation);
		return;
	}
	g_dbus_method_invocation_return_dbus_error(
	    invocation, "org.freedesktop.DBus.Error.UnknownMethod", "Unknown method");
}

static gboolean
adapter_set(MockObject *obj,
	    const gchar *iface,
	    const gchar *name,
	    GVariant *value,
	    GError **error,
	    gpointer user_data)
{
	Mock *mock = user_data;
	if (g_strcmp0(name, "Powered") == 0 && !g_variant_get_boolean(value)) {
		/* powering off ends discovery and every link */
		g_hash_table_remove_all(mock->discovery);
		discovery_changed(mock);
		for (guint i = 0; i < mock->devices->len; i++) {
			MockDevice *dev = g_ptr_array_index(mock->devices, i);
			if (dev->link_up)
				bdfu_target_disconnect(dev->phys->target);
		}
		for (guint i = 0; i < mock->phys->len; i++)
			mock_phys_run(g_ptr_array_index(mock->phys, i));
	}
	mock_object_set(obj, iface, name, g_variant_ref(value), FALSE);
	return TRUE;
}

static const gchar *const agent_caps[] =
    {"", "DisplayOnly", "DisplayYesNo", "KeyboardOnly", "NoInputNoOutput", "KeyboardDisplay", NULL};

static void
agent_manager_method(MockObject *obj,
		     const gchar *iface,
		     const gchar *method,
		     GVariant *params,
		     GDBusMethodInvocation *invocation,
		     gpointer user_data)
{
	Mock *mock = user_data;
	const gchar *sender = g_dbus_method_invocation_get_sender(invocation);
	const gchar *path = NULL;
	const gchar *cap = "";
	const gchar *registered = g_hash_table_lookup(mock->agents, sender);

	if (g_strcmp0(method, "RegisterAgent") == 0) {
		g_variant_get(params, "(&o&s)", &path, &cap);
		if (!g_strv_contains(agent_caps, cap)) {
			mock_return_error(mock, invocation, ERR_INVALID_ARGS, MSG_INVALID_ARGS);
			return;
		}
		if (registered != NULL) {
			mock_return_error(
			    mock, invocation, "org.bluez.Error.AlreadyExists", "Already Exists");
			return;
		}
		g_hash_table_insert(mock->agents, g_strdup(sender), g_strdup(path));
		g_dbus_method_invocation_return_value(invocation, NULL);
		return;
	}
	g_variant_get(params, "(&o)", &path);
	if (registered == NULL || g_strcmp0(registered, path) != 0) {
		mock_return_error(
		    mock, invocation, "org.bluez.Error.DoesNotExist", "Does Not Exist");
		return;
	}
	if (g_strcmp0(method, "UnregisterAgent") == 0)
		g_hash_table_remove(mock->agents, sender);
	g_dbus_method_invocation_return_value(invocation, NULL);
}

void
mock_adapter_export(Mock *mock)
{
	MockObject *obj = mock_object_new(mock, MOCK_ADAPTER_PATH);
	const gchar *roles[] = {"central", "peripheral", NULL};
	const gchar *none[] = {NULL};

	mock_object_add_iface(obj, MOCK_IFACE_ADAPTER, adapter_method, adapter_set, mock);
#define SET(n, v) mock_object_set(obj, MOCK_IFACE_ADAPTER, n, v, FALSE)
	SET("Address", g_variant_new_string(mock->adapter_address));
	SET("AddressType", g_variant_new_string("public"));
	SET("Name", g_variant_new_string("mock-bluez"));
	SET("Alias", g_variant_new_string("mock-bluez"));
	SET("Class", g_variant_new_uint32(0x7c010c));
	SET("Powered", g_variant_new_boolean(mock->powered_at_start));
	SET("Discoverable", g_variant_new_boolean(FALSE));
	SET("DiscoverableTimeout", g_variant_new_uint32(180));
	SET("Pairable", g_variant_new_boolean(TRUE));
	SET("PairableTimeout", g_variant_new_uint32(0));
	SET("Discovering", g_variant_new_boolean(FALSE));
	SET("UUIDs", g_variant_new_strv(none, 0));
	SET("Modalias", g_variant_new_string("usb:v1D6Bp0246d0542"));
	SET("Roles", g_variant_new_strv(roles, -1));
#undef SET
	mock->adapter = obj;

	mock->agent_manager = mock_object_new(mock, "/org/bluez");
	mock_object_add_iface(
	    mock->agent_manager, MOCK_IFACE_AGENT_MANAGER, agent_manager_method, NULL, mock);
	mock_object_export(mock->agent_manager);
	mock_object_export(obj);
}

void
mock_adapter_client_vanished(Mock *mock, const gchar *sender)
{
	g_hash_table_remove(mock->filters, sender);
	g_hash_table_remove(mock->agents, sender);
	if (g_hash_table_remove(mock->discovery, sender))
		discovery_changed(mock);
	for (guint i = 0; i < mock->devices->len; i++)
		mock_gatt_client_vanished(g_ptr_array_index(mock->devices, i), sender);
}
