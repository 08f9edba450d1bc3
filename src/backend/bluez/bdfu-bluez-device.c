/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bdfu-bluez"

#include "backend/bluez/bdfu-bluez-private.h"

#include <string.h>

GVariant *
bdfu_bluez_object_get_property(GDBusObject *object, const gchar *iface, const gchar *name)
{
	g_autoptr(GDBusInterface) interface = NULL;
	if (object == NULL)
		return NULL;
	interface = g_dbus_object_get_interface(object, iface);
	if (interface == NULL)
		return NULL;
	return g_dbus_proxy_get_cached_property(G_DBUS_PROXY(interface), name);
}

gboolean
bdfu_bluez_object_get_boolean(GDBusObject *object, const gchar *iface, const gchar *name)
{
	g_autoptr(GVariant) value = bdfu_bluez_object_get_property(object, iface, name);
	if (value == NULL || !g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN))
		return FALSE;
	return g_variant_get_boolean(value);
}

gchar *
bdfu_bluez_object_get_string(GDBusObject *object, const gchar *iface, const gchar *name)
{
	g_autoptr(GVariant) value = bdfu_bluez_object_get_property(object, iface, name);
	if (value == NULL || !(g_variant_is_of_type(value, G_VARIANT_TYPE_STRING) ||
			       g_variant_is_of_type(value, G_VARIANT_TYPE_OBJECT_PATH)))
		return NULL;
	return g_variant_dup_string(value, NULL);
}

static gboolean
bdfu_bluez_strv_variant_contains(GVariant *value, const gchar *needle)
{
	GVariantIter iter;
	const gchar *item;
	if (value == NULL || !g_variant_is_of_type(value, G_VARIANT_TYPE_STRING_ARRAY))
		return FALSE;
	g_variant_iter_init(&iter, value);
	while (g_variant_iter_next(&iter, "&s", &item)) {
		if (g_ascii_strcasecmp(item, needle) == 0)
			return TRUE;
	}
	return FALSE;
}

gboolean
bdfu_bluez_object_has_uuid(GDBusObject *device, const gchar *uuid)
{
	g_autoptr(GVariant) uuids =
	    bdfu_bluez_object_get_property(device, BDFU_BLUEZ_DEVICE_IFACE, "UUIDs");
	return bdfu_bluez_strv_variant_contains(uuids, uuid);
}

gboolean
bdfu_bluez_device_is_bonded(GDBusObject *device)
{
	/* Bonded exists since 5.65; Paired alone may be a bond that was not stored */
	g_autoptr(GVariant) bonded =
	    bdfu_bluez_object_get_property(device, BDFU_BLUEZ_DEVICE_IFACE, "Bonded");
	if (bonded != NULL && g_variant_is_of_type(bonded, G_VARIANT_TYPE_BOOLEAN) &&
	    g_variant_get_boolean(bonded))
		return TRUE;
	return bdfu_bluez_object_get_boolean(device, BDFU_BLUEZ_DEVICE_IFACE, "Paired");
}

static gboolean
bdfu_bluez_path_is_below(const gchar *path, const gchar *parent)
{
	gsize len = strlen(parent);
	return strncmp(path, parent, len) == 0 && path[len] == '/';
}

static gboolean
bdfu_bluez_char_has_flags(GDBusObject *object, const gchar *const *flags)
{
	g_autoptr(GVariant) value =
	    bdfu_bluez_object_get_property(object, BDFU_BLUEZ_CHAR_IFACE, "Flags");
	for (guint i = 0; flags != NULL && flags[i] != NULL; i++) {
		if (!bdfu_bluez_strv_variant_contains(value, flags[i]))
			return FALSE;
	}
	return TRUE;
}

static gboolean
bdfu_bluez_char_in_dfu_service(GDBusObjectManager *manager, GDBusObject *object)
{
	g_autofree gchar *service_path =
	    bdfu_bluez_object_get_string(object, BDFU_BLUEZ_CHAR_IFACE, "Service");
	g_autoptr(GDBusObject) service = NULL;
	g_autofree gchar *uuid = NULL;

	if (service_path == NULL)
		return FALSE;
	service = g_dbus_object_manager_get_object(manager, service_path);
	uuid = bdfu_bluez_object_get_string(service, BDFU_BLUEZ_SERVICE_IFACE, "UUID");
	return g_strcmp0(uuid, BDFU_UUID_DFU_SERVICE) == 0;
}

gchar *
bdfu_bluez_device_find_characteristic(GDBusObjectManager *manager,
				      const gchar *device_path,
				      const gchar *uuid,
				      const gchar *const *required_flags)
{
	GList *objects = g_dbus_object_manager_get_objects(manager);
	gchar *best = NULL;
	gint best_score = -1;

	for (GList *l = objects; l != NULL; l = l->next) {
		GDBusObject *object = l->data;
		const gchar *path = g_dbus_object_get_object_path(object);
		g_autofree gchar *chr_uuid = NULL;
		gint score = 0;

		if (!bdfu_bluez_path_is_below(path, device_path))
			continue;
		chr_uuid = bdfu_bluez_object_get_string(object, BDFU_BLUEZ_CHAR_IFACE, "UUID");
		if (chr_uuid == NULL || g_ascii_strcasecmp(chr_uuid, uuid) != 0)
			continue;
		/* a stale cached instance can sit next to the fresh one (BLUEZ.md §3.1) */
		if (bdfu_bluez_char_has_flags(object, required_flags))
			score += 2;
		if (bdfu_bluez_char_in_dfu_service(manager, object))
			score += 1;
		if (score > best_score) {
			g_free(best);
			best = g_strdup(path);
			best_score = score;
		}
	}
	g_list_free_full(objects, g_object_unref);
	return best;
}

static BdfuDeviceMode
bdfu_bluez_device_mode_from_gatt(GDBusObjectManager *manager, const gchar *device_path)
{
	const gchar *cp_flags[] = {"write", "notify", NULL};
	const gchar *pkt_flags[] = {"write-without-response", NULL};
	const gchar *bl_flags[] = {"write", "indicate", NULL};
	g_autofree gchar *cp = bdfu_bluez_device_find_characteristic(
	    manager, device_path, BDFU_UUID_DFU_CONTROL, NULL);
	g_autofree gchar *pkt =
	    bdfu_bluez_device_find_characteristic(manager, device_path, BDFU_UUID_DFU_PACKET, NULL);
	g_autofree gchar *bl_bonded = NULL;
	g_autofree gchar *bl = NULL;

	if (cp != NULL && pkt != NULL) {
		g_autoptr(GDBusObject) cp_obj = g_dbus_object_manager_get_object(manager, cp);
		g_autoptr(GDBusObject) pkt_obj = g_dbus_object_manager_get_object(manager, pkt);
		if (bdfu_bluez_char_has_flags(cp_obj, cp_flags) &&
		    bdfu_bluez_char_has_flags(pkt_obj, pkt_flags))
			return BDFU_DEVICE_MODE_DFU;
	}
	bl_bonded = bdfu_bluez_device_find_characteristic(
	    manager, device_path, BDFU_UUID_BUTTONLESS_BONDED, bl_flags);
	if (bl_bonded != NULL)
		return BDFU_DEVICE_MODE_APP_BUTTONLESS_BONDED;
	bl = bdfu_bluez_device_find_characteristic(
	    manager, device_path, BDFU_UUID_BUTTONLESS, bl_flags);
	if (bl != NULL)
		return BDFU_DEVICE_MODE_APP_BUTTONLESS;
	return BDFU_DEVICE_MODE_UNKNOWN;
}

BdfuDeviceMode
bdfu_bluez_device_get_mode(GDBusObjectManager *manager,
			   GDBusObject *device,
			   BdfuBluezModeSource source)
{
	const gchar *path = g_dbus_object_get_object_path(device);
	g_autofree gchar *name = NULL;
	BdfuDeviceMode mode = BDFU_DEVICE_MODE_UNKNOWN;

	/* the GATT tree is the truth while connected; otherwise it is a cache that may lie */
	if (source != BDFU_BLUEZ_MODE_ADVERT)
		mode = bdfu_bluez_device_mode_from_gatt(manager, path);
	if (source == BDFU_BLUEZ_MODE_GATT || mode != BDFU_DEVICE_MODE_UNKNOWN)
		return mode;
	if (bdfu_bluez_object_has_uuid(device, BDFU_UUID_LEGACY_SERVICE))
		return BDFU_DEVICE_MODE_LEGACY_DFU;
	if (bdfu_bluez_object_has_uuid(device, BDFU_UUID_DFU_SERVICE)) {
		name = bdfu_bluez_object_get_string(device, BDFU_BLUEZ_DEVICE_IFACE, "Name");
		/* apps advertise 0xFE59 too: without a GATT tree only the default bootloader
		 * name tells them apart (PROTOCOL.md §1.2) */
		if (g_strcmp0(name, "DfuTarg") == 0)
			return BDFU_DEVICE_MODE_DFU;
		return bdfu_bluez_device_is_bonded(device) ? BDFU_DEVICE_MODE_APP_BUTTONLESS_BONDED
							   : BDFU_DEVICE_MODE_APP_BUTTONLESS;
	}
	return BDFU_DEVICE_MODE_APP;
}

BdfuDeviceInfo *
bdfu_bluez_device_get_info(GDBusObjectManager *manager,
			   GDBusObject *device,
			   const gchar *adapter,
			   gboolean trust_gatt)
{
	g_autofree gchar *address =
	    bdfu_bluez_object_get_string(device, BDFU_BLUEZ_DEVICE_IFACE, "Address");
	g_autoptr(GVariant) rssi =
	    bdfu_bluez_object_get_property(device, BDFU_BLUEZ_DEVICE_IFACE, "RSSI");
	BdfuDeviceInfo *info;
	gchar norm[18];

	if (address == NULL || !bdfu_address_normalize(address, norm))
		return NULL;
	info = bdfu_device_info_new();
	info->address = g_strdup(norm);
	info->name = bdfu_bluez_object_get_string(device, BDFU_BLUEZ_DEVICE_IFACE, "Name");
	/* 127 is HCI's "RSSI not available" (virtual controllers send it): unknown, like 0 */
	if (rssi != NULL && g_variant_is_of_type(rssi, G_VARIANT_TYPE_INT16) &&
	    g_variant_get_int16(rssi) != 127)
		info->rssi = g_variant_get_int16(rssi);
	info->mode = bdfu_bluez_device_get_mode(
	    manager, device, trust_gatt ? BDFU_BLUEZ_MODE_GATT_FIRST : BDFU_BLUEZ_MODE_ADVERT);
	info->bonded = bdfu_bluez_device_is_bonded(device);
	info->adapter = g_strdup(adapter);
	return info;
}

static gboolean
bdfu_bluez_device_mode_offers_dfu(BdfuDeviceMode mode)
{
	return mode == BDFU_DEVICE_MODE_APP_BUTTONLESS ||
	       mode == BDFU_DEVICE_MODE_APP_BUTTONLESS_BONDED || mode == BDFU_DEVICE_MODE_DFU ||
	       mode == BDFU_DEVICE_MODE_LEGACY_DFU;
}

gboolean
bdfu_bluez_device_is_wanted(const BdfuDeviceInfo *info, const BdfuScanFilter *filter)
{
	gboolean hit = filter->addresses == NULL && filter->name_glob == NULL;

	for (guint i = 0; !hit && filter->addresses != NULL && filter->addresses[i] != NULL; i++) {
		if (g_ascii_strcasecmp(filter->addresses[i], info->address) == 0)
			hit = TRUE;
	}
	if (!hit && filter->name_glob != NULL && info->name != NULL)
		hit = g_pattern_match_simple(filter->name_glob, info->name);
	return hit;
}

gboolean
bdfu_bluez_device_matches(const BdfuDeviceInfo *info, const BdfuScanFilter *filter)
{
	if (!bdfu_bluez_device_is_wanted(info, filter))
		return FALSE;
	/* a fresh advert with 0xFE59 from the address or name we wait for is the bootloader:
	 * its name may be custom, and a bonded one keeps the app's address and cached tree
	 * (BLUEZ.md §2.7); the connection verifies the GATT table */
	if (filter->dfu_only)
		return info->mode != BDFU_DEVICE_MODE_LEGACY_DFU &&
		       bdfu_bluez_device_mode_offers_dfu(info->mode);
	if (filter->app_only)
		return bdfu_device_mode_is_app(info->mode);
	return filter->all || bdfu_bluez_device_mode_offers_dfu(info->mode);
}
