/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bdfu-sim"

#include "backend/sim/bdfu-sim-private.h"
#include "bluedfu/bdfu-error.h"
#include "core/bdfu-init-packet.h"

#include <string.h>

/* default addresses: static random (top bits 11), group i at base + i·0x10000, copy j of a
 * group at + j·0x100, so that no bootloader (address+1) lands on another device */
#define BDFU_SIM_BASE_ADDRESS G_GUINT64_CONSTANT(0xC0DE5EED0001)
#define BDFU_SIM_GROUP_STEP G_GUINT64_CONSTANT(0x10000)
#define BDFU_SIM_COPY_STEP G_GUINT64_CONSTANT(0x100)
#define BDFU_SIM_MAX_COUNT 250
#define BDFU_SIM_MAX_KEY_FILE (256 * 1024)

/* each SoC with the SoftDevice, hardware version and SDK it usually runs */
typedef struct {
	const gchar *name;
	guint32 flash_size;
	guint16 max_mtu;
	guint16 sd_fwid;
	guint32 hw_version;
	guint sdk_major;
} BdfuSimSoc;

static const BdfuSimSoc bdfu_sim_socs[] = {
    {"nRF52832", 0x80000, 247, 0x101, 52, 17},	/* S132 7.2.0 */
    {"nRF52840", 0x100000, 247, 0x100, 52, 17}, /* S140 7.2.0 */
    {"nRF52810", 0x30000, 247, 0x103, 52, 17},	/* S112 7.2.0 */
    {"nRF51422", 0x40000, 23, 0x87, 51, 12},	/* S130 2.0.1, SDK 12 is the last */
};

static const gchar *const bdfu_sim_keys[] = {
    "address",
    "name",
    "mode",
    "soc",
    "sd-fwid",
    "hw-version",
    "app-version",
    "bootloader-version",
    "public-key",
    "bonded",
    "mtu",
    "connection-interval-ms",
    "packets-per-event",
    "sdk",
    "faults",
    "count",
    "slow-flash",
    "never-answer",
    "app-boots",
    "debug-bootloader",
    "save-progress-in-flash",
    "fail",
    "faults-failing",
    NULL,
};

typedef struct {
	const gchar *path;
	const gchar *folder;
	GKeyFile *kf;
	const gchar *group;
	gboolean fleet;
} BdfuSimParse;

static void
bdfu_sim_parse_error(BdfuSimParse *p, const gchar *key, GError **error, const gchar *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static void
bdfu_sim_parse_error(BdfuSimParse *p, const gchar *key, GError **error, const gchar *fmt, ...)
{
	va_list args;
	g_autofree gchar *what = NULL;
	va_start(args, fmt);
	what = g_strdup_vprintf(fmt, args);
	va_end(args);
	if (key != NULL)
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "simulation profile %s, group [%s], key '%s': %s",
			    p->path,
			    p->group,
			    key,
			    what);
	else
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "simulation profile %s, group [%s]: %s",
			    p->path,
			    p->group,
			    what);
}

void
bdfu_sim_address_to_string(guint64 address, gchar out[18])
{
	g_snprintf(out,
		   18,
		   "%02X:%02X:%02X:%02X:%02X:%02X",
		   (guint)(address >> 40) & 0xFF,
		   (guint)(address >> 32) & 0xFF,
		   (guint)(address >> 24) & 0xFF,
		   (guint)(address >> 16) & 0xFF,
		   (guint)(address >> 8) & 0xFF,
		   (guint)address & 0xFF);
}

static guint64
bdfu_sim_address_from_string(const gchar *norm)
{
	guint64 address = 0;
	for (guint i = 0; i < 6; i++)
		address = (address << 8) | (guint64)((g_ascii_xdigit_value(norm[i * 3]) << 4) |
						     g_ascii_xdigit_value(norm[i * 3 + 1]));
	return address;
}

/* a stable made-up signal strength per address: -40 ... -74 dBm */
static gint16
bdfu_sim_rssi_for(guint64 address)
{
	guint32 h = 2166136261u;
	for (guint i = 0; i < 6; i++) {
		h ^= (guint32)(address >> (i * 8)) & 0xFF;
		h *= 16777619u;
	}
	return (gint16)(-40 - (gint)(h % 35));
}

void
bdfu_sim_device_free(BdfuSimDevice *dev)
{
	if (dev == NULL)
		return;
	g_clear_pointer(&dev->target, bdfu_target_free);
	bdfu_target_config_clear(&dev->config);
	g_free(dev->id);
	g_free(dev);
}

static BdfuSimDevice *
bdfu_sim_device_new_default(const gchar *id)
{
	BdfuSimDevice *dev = g_new0(BdfuSimDevice, 1);
	dev->id = g_strdup(id);
	bdfu_target_config_init(&dev->config);
	bdfu_link_config_init(&dev->link_config);
	dev->config.sdk_major = 17;
	dev->config.hw_version = 52;
	dev->config.sd_fwid = 0x100;
	dev->config.flash_size = 0x100000;
	dev->config.app_version = 0;
	dev->config.bootloader_version = 1;
	dev->config.max_att_mtu = 247;
	dev->config.app_valid = TRUE;
	g_free(dev->config.app_name);
	dev->config.app_name = g_strdup(id);
	return dev;
}

static void
bdfu_sim_device_set_address(BdfuSimDevice *dev, guint64 address)
{
	dev->address = address & G_GUINT64_CONSTANT(0xFFFFFFFFFFFF);
	bdfu_sim_address_to_string(dev->address, dev->address_str);
	dev->rssi = bdfu_sim_rssi_for(dev->address);
}

GPtrArray *
bdfu_sim_profile_default(void)
{
	GPtrArray *devices = g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_sim_device_free);
	BdfuSimDevice *dev = bdfu_sim_device_new_default(BDFU_SIM_DEFAULT_NAME);
	bdfu_sim_device_set_address(dev, BDFU_SIM_BASE_ADDRESS);
	g_ptr_array_add(devices, dev);
	return devices;
}

/* value parsers -------------------------------------------------------------------------------- */

static gboolean
bdfu_sim_parse_uint(BdfuSimParse *p,
		    const gchar *key,
		    guint64 min,
		    guint64 max,
		    guint64 *out,
		    GError **error)
{
	g_autofree gchar *raw = g_key_file_get_value(p->kf, p->group, key, NULL);
	g_autofree gchar *text = g_strstrip(g_strdup(raw != NULL ? raw : ""));
	g_autoptr(GError) error_local = NULL;
	const gchar *digits = text;
	guint base = 10;

	if (g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X")) {
		digits = text + 2;
		base = 16;
	}
	if (!g_ascii_string_to_unsigned(digits, base, min, max, out, &error_local)) {
		bdfu_sim_parse_error(p,
				     key,
				     error,
				     "'%s' is not a number from %" G_GUINT64_FORMAT
				     " to %" G_GUINT64_FORMAT,
				     text,
				     min,
				     max);
		return FALSE;
	}
	return TRUE;
}

static gboolean
bdfu_sim_parse_bool(BdfuSimParse *p, const gchar *key, gboolean *out, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	gboolean value = g_key_file_get_boolean(p->kf, p->group, key, &error_local);
	if (error_local != NULL) {
		g_autofree gchar *raw = g_key_file_get_value(p->kf, p->group, key, NULL);
		bdfu_sim_parse_error(p, key, error, "'%s' is not true or false", raw);
		return FALSE;
	}
	*out = value;
	return TRUE;
}

static gboolean
bdfu_sim_parse_key(BdfuSimParse *p, BdfuSimDevice *dev, GError **error)
{
	g_autofree gchar *path = g_key_file_get_string(p->kf, p->group, "public-key", NULL);
	g_autofree gchar *full = NULL;
	g_autofree gchar *pem = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(BdfuKey) key = NULL;
	gsize len = 0;

	if (path == NULL || *path == '\0') {
		bdfu_sim_parse_error(p, "public-key", error, "a PEM file name is needed");
		return FALSE;
	}
	full = g_path_is_absolute(path) ? g_strdup(path) : g_build_filename(p->folder, path, NULL);
	if (!g_file_get_contents(full, &pem, &len, &error_local)) {
		bdfu_sim_parse_error(p, "public-key", error, "%s", error_local->message);
		return FALSE;
	}
	if (len > 64 * 1024) {
		bdfu_sim_parse_error(p, "public-key", error, "%s is too large for a PEM key", full);
		return FALSE;
	}
	key = bdfu_key_new_from_pem(pem, len, &error_local);
	if (key == NULL) {
		bdfu_sim_parse_error(p, "public-key", error, "%s: %s", full, error_local->message);
		return FALSE;
	}
	bdfu_key_get_raw_le(key, dev->config.public_key_le);
	dev->config.has_public_key = TRUE;
	return TRUE;
}

static gboolean
bdfu_sim_parse_faults(BdfuSimParse *p, const gchar *key, BdfuSimDevice *dev, GError **error)
{
	g_auto(GStrv) items = g_key_file_get_string_list(p->kf, p->group, key, NULL, NULL);

	for (guint i = 0; items != NULL && items[i] != NULL; i++) {
		const gchar *item = g_strstrip(items[i]);
		g_autoptr(GError) error_local = NULL;
		guint64 factor = 0;

		if (*item == '\0')
			continue;
		if (g_strcmp0(item, "never-answer") == 0) {
			dev->config.never_answer = TRUE;
			continue;
		}
		if (g_str_has_prefix(item, "slow-flash:")) {
			if (!g_ascii_string_to_unsigned(item + 11, 10, 1, 1000, &factor, NULL)) {
				bdfu_sim_parse_error(
				    p,
				    key,
				    error,
				    "'%s': the slow-flash factor must be 1 to 1000",
				    item);
				return FALSE;
			}
			dev->config.flash_slowdown = (guint32)factor;
			continue;
		}
		if (dev->n_faults >= BDFU_SIM_MAX_FAULTS) {
			bdfu_sim_parse_error(p,
					     key,
					     error,
					     "at most %u link faults per device",
					     BDFU_SIM_MAX_FAULTS);
			return FALSE;
		}
		if (!bdfu_fault_parse(item, &dev->faults[dev->n_faults], &error_local)) {
			bdfu_sim_parse_error(p, key, error, "%s", error_local->message);
			return FALSE;
		}
		dev->faults[dev->n_faults].fired = FALSE;
		dev->n_faults++;
	}
	return TRUE;
}

static const BdfuSimSoc *
bdfu_sim_soc_lookup(const gchar *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(bdfu_sim_socs); i++) {
		if (g_ascii_strcasecmp(bdfu_sim_socs[i].name, name) == 0)
			return &bdfu_sim_socs[i];
	}
	return NULL;
}

/* a group → its settings, applied to a template device */
static gboolean
bdfu_sim_parse_group(BdfuSimParse *p, BdfuSimDevice *dev, guint64 *count, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(p->kf, p->group, NULL, NULL);
	const BdfuSimSoc *soc = &bdfu_sim_socs[1];
	guint64 value = 0;
	gboolean flag = FALSE;

	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		if (!g_strv_contains(bdfu_sim_keys, keys[i])) {
			bdfu_sim_parse_error(p, keys[i], error, "unknown key");
			return FALSE;
		}
		if (!p->fleet && (g_strcmp0(keys[i], "fail") == 0 ||
				  g_strcmp0(keys[i], "faults-failing") == 0)) {
			bdfu_sim_parse_error(
			    p, keys[i], error, "only [fleet PREFIX] groups take it");
			return FALSE;
		}
	}
#define HAS(k) g_key_file_has_key(p->kf, p->group, k, NULL)
	if (HAS("soc")) {
		g_autofree gchar *text = g_key_file_get_string(p->kf, p->group, "soc", NULL);
		soc = text != NULL ? bdfu_sim_soc_lookup(g_strstrip(text)) : NULL;
		if (soc == NULL) {
			bdfu_sim_parse_error(p,
					     "soc",
					     error,
					     "'%s' is not one of nRF52832, nRF52840, nRF52810, "
					     "nRF51422",
					     text);
			return FALSE;
		}
	}
	dev->config.flash_size = soc->flash_size;
	dev->config.sd_fwid = soc->sd_fwid;
	dev->config.hw_version = soc->hw_version;
	dev->config.sdk_major = soc->sdk_major;
	if (HAS("sdk")) {
		if (!bdfu_sim_parse_uint(p, "sdk", 12, 17, &value, error))
			return FALSE;
		dev->config.sdk_major = (guint)value;
	}
	/* SDK 12-14 bootloaders keep the default ATT MTU */
	dev->config.max_att_mtu = dev->config.sdk_major >= 15 ? soc->max_mtu : 23;
	if (HAS("mtu")) {
		if (!bdfu_sim_parse_uint(p, "mtu", 23, soc->max_mtu, &value, error))
			return FALSE;
		dev->config.max_att_mtu = (guint16)value;
	}
	if (HAS("address")) {
		g_autofree gchar *text = g_key_file_get_string(p->kf, p->group, "address", NULL);
		gchar norm[18];
		if (text == NULL || !bdfu_address_normalize(g_strstrip(text), norm)) {
			bdfu_sim_parse_error(
			    p,
			    "address",
			    error,
			    "'%s' is not a Bluetooth address like C0:DE:5E:ED:00:01",
			    text);
			return FALSE;
		}
		bdfu_sim_device_set_address(dev, bdfu_sim_address_from_string(norm));
	}
	if (HAS("name")) {
		g_autofree gchar *text = g_key_file_get_string(p->kf, p->group, "name", NULL);
		if (text == NULL || *text == '\0' || strlen(text) > 29) {
			bdfu_sim_parse_error(
			    p, "name", error, "an advertised name has 1 to 29 bytes");
			return FALSE;
		}
		g_free(dev->config.app_name);
		dev->config.app_name = g_steal_pointer(&text);
	}
	if (HAS("mode")) {
		g_autofree gchar *text = g_key_file_get_string(p->kf, p->group, "mode", NULL);
		if (g_strcmp0(text, "app") == 0) {
			dev->config.start_in_dfu = FALSE;
		} else if (g_strcmp0(text, "bootloader") == 0) {
			dev->config.start_in_dfu = TRUE;
		} else {
			bdfu_sim_parse_error(
			    p, "mode", error, "'%s' is not app or bootloader", text);
			return FALSE;
		}
	}
	if (HAS("sd-fwid")) {
		if (!bdfu_sim_parse_uint(p, "sd-fwid", 0, 0xFFFF, &value, error))
			return FALSE;
		dev->config.sd_fwid = (guint16)value;
	}
	if (HAS("hw-version")) {
		if (!bdfu_sim_parse_uint(p, "hw-version", 0, G_MAXUINT32, &value, error))
			return FALSE;
		dev->config.hw_version = (guint32)value;
	}
	if (HAS("app-version")) {
		if (!bdfu_sim_parse_uint(p, "app-version", 0, G_MAXUINT32, &value, error))
			return FALSE;
		dev->config.app_version = (guint32)value;
	}
	if (HAS("bootloader-version")) {
		if (!bdfu_sim_parse_uint(p, "bootloader-version", 0, G_MAXUINT32, &value, error))
			return FALSE;
		dev->config.bootloader_version = (guint32)value;
	}
	if (HAS("public-key") && !bdfu_sim_parse_key(p, dev, error))
		return FALSE;
	if (HAS("bonded")) {
		if (!bdfu_sim_parse_bool(p, "bonded", &flag, error))
			return FALSE;
		dev->config.bonded = flag;
	}
	if (HAS("connection-interval-ms")) {
		g_autofree gchar *text =
		    g_key_file_get_string(p->kf, p->group, "connection-interval-ms", NULL);
		gchar *end = NULL;
		gdouble ms = text != NULL ? g_ascii_strtod(text, &end) : 0;
		if (text == NULL || end == text || *end != '\0' || !(ms >= 7.5 && ms <= 4000)) {
			bdfu_sim_parse_error(
			    p,
			    "connection-interval-ms",
			    error,
			    "'%s' is not a connection interval from 7.5 to 4000 ms",
			    text);
			return FALSE;
		}
		dev->link_config.connection_interval_us = (guint32)(ms * 1000 + 0.5);
	}
	if (HAS("packets-per-event")) {
		if (!bdfu_sim_parse_uint(p, "packets-per-event", 1, 32, &value, error))
			return FALSE;
		dev->link_config.packets_per_event = (guint)value;
	}
	if (HAS("slow-flash")) {
		if (!bdfu_sim_parse_uint(p, "slow-flash", 1, 1000, &value, error))
			return FALSE;
		dev->config.flash_slowdown = (guint32)value;
	}
	if (HAS("never-answer")) {
		if (!bdfu_sim_parse_bool(p, "never-answer", &flag, error))
			return FALSE;
		dev->config.never_answer = flag;
	}
	if (HAS("app-boots")) {
		if (!bdfu_sim_parse_bool(p, "app-boots", &flag, error))
			return FALSE;
		dev->config.app_valid = flag;
	}
	if (HAS("debug-bootloader")) {
		if (!bdfu_sim_parse_bool(p, "debug-bootloader", &flag, error))
			return FALSE;
		dev->config.debug_bootloader = flag;
	}
	if (HAS("save-progress-in-flash")) {
		if (!bdfu_sim_parse_bool(p, "save-progress-in-flash", &flag, error))
			return FALSE;
		dev->config.save_progress_in_flash = flag;
	}
	if (HAS("faults") && !bdfu_sim_parse_faults(p, "faults", dev, error))
		return FALSE;
	*count = p->fleet ? 0 : 1;
	if (HAS("count")) {
		if (!bdfu_sim_parse_uint(p, "count", 1, BDFU_SIM_MAX_COUNT, count, error))
			return FALSE;
	} else if (p->fleet) {
		bdfu_sim_parse_error(p, "count", error, "a [fleet] group needs a count");
		return FALSE;
	}
#undef HAS
	return TRUE;
}

static BdfuSimDevice *
bdfu_sim_device_copy(const BdfuSimDevice *src)
{
	BdfuSimDevice *dev = g_new0(BdfuSimDevice, 1);
	*dev = *src;
	dev->id = g_strdup(src->id);
	dev->config.app_name = g_strdup(src->config.app_name);
	if (src->config.app_image != NULL)
		dev->config.app_image = g_bytes_ref(src->config.app_image);
	dev->target = NULL;
	dev->conn = NULL;
	return dev;
}

/* the 1-based indices of a fleet's failing devices */
static gboolean
bdfu_sim_parse_fail(BdfuSimParse *p, guint64 count, GHashTable *failing, GError **error)
{
	g_auto(GStrv) items = NULL;
	if (!g_key_file_has_key(p->kf, p->group, "fail", NULL))
		return TRUE;
	items = g_key_file_get_string_list(p->kf, p->group, "fail", NULL, NULL);
	for (guint i = 0; items != NULL && items[i] != NULL; i++) {
		guint64 index = 0;
		const gchar *item = g_strstrip(items[i]);
		if (*item == '\0')
			continue;
		if (!g_ascii_string_to_unsigned(item, 10, 1, count, &index, NULL)) {
			bdfu_sim_parse_error(
			    p,
			    "fail",
			    error,
			    "'%s' is not a device index from 1 to %" G_GUINT64_FORMAT,
			    item,
			    count);
			return FALSE;
		}
		g_hash_table_add(failing, GUINT_TO_POINTER((guint)index));
	}
	return TRUE;
}

static gboolean
bdfu_sim_add_group(BdfuSimParse *p, guint group_index, GPtrArray *devices, GError **error)
{
	const gchar *name = strchr(p->group, ' ') + 1;
	g_autoptr(GHashTable) failing = g_hash_table_new(g_direct_hash, g_direct_equal);
	BdfuSimDevice *tmpl;
	guint64 count = 1;
	guint width = p->fleet ? 3 : 2;

	tmpl = bdfu_sim_device_new_default(name);
	bdfu_sim_device_set_address(tmpl,
				    BDFU_SIM_BASE_ADDRESS + group_index * BDFU_SIM_GROUP_STEP);
	if (!bdfu_sim_parse_group(p, tmpl, &count, error) ||
	    !bdfu_sim_parse_fail(p, count, failing, error)) {
		bdfu_sim_device_free(tmpl);
		return FALSE;
	}
	if (devices->len + count > BDFU_SIM_MAX_DEVICES) {
		bdfu_sim_parse_error(
		    p, "count", error, "at most %u devices in all", BDFU_SIM_MAX_DEVICES);
		bdfu_sim_device_free(tmpl);
		return FALSE;
	}
	if (count == 1 && !p->fleet) {
		g_ptr_array_add(devices, tmpl);
		return TRUE;
	}
	for (guint i = 1; i <= count; i++) {
		BdfuSimDevice *dev = bdfu_sim_device_copy(tmpl);
		g_free(dev->id);
		dev->id = g_strdup_printf("%s-%0*u", name, (int)width, i);
		g_free(dev->config.app_name);
		dev->config.app_name =
		    g_strdup_printf("%s-%0*u", tmpl->config.app_name, (int)width, i);
		bdfu_sim_device_set_address(dev, tmpl->address + (i - 1) * BDFU_SIM_COPY_STEP);
		g_ptr_array_add(devices, dev);
		if (g_hash_table_contains(failing, GUINT_TO_POINTER(i))) {
			if (g_key_file_has_key(p->kf, p->group, "faults-failing", NULL)) {
				if (!bdfu_sim_parse_faults(p, "faults-failing", dev, error)) {
					bdfu_sim_device_free(tmpl);
					return FALSE;
				}
			} else {
				dev->config.never_answer = TRUE;
			}
		}
	}
	bdfu_sim_device_free(tmpl);
	return TRUE;
}

/* two devices at one address (or one's bootloader on another's address) could not be told
 * apart on the air */
static gboolean
bdfu_sim_check_addresses(const gchar *path, GPtrArray *devices, GError **error)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_int64_hash, g_int64_equal);
	g_autofree gint64 *keys = g_new0(gint64, devices->len * 2);

	for (guint i = 0; i < devices->len; i++) {
		BdfuSimDevice *dev = g_ptr_array_index(devices, i);
		guint64 dfu =
		    (dev->address & ~G_GUINT64_CONSTANT(0xFF)) | ((dev->address + 1) & 0xFF);
		BdfuSimDevice *other;
		keys[i * 2] = (gint64)dev->address;
		keys[i * 2 + 1] = (gint64)dfu;
		other = g_hash_table_lookup(seen, &keys[i * 2]);
		if (other == NULL && !dev->config.bonded)
			other = g_hash_table_lookup(seen, &keys[i * 2 + 1]);
		if (other != NULL) {
			g_set_error(error,
				    BDFU_ERROR,
				    BDFU_ERROR_INVALID_ARGUMENT,
				    "simulation profile %s: devices '%s' and '%s' would both "
				    "advertise at %s or its bootloader address; give one another "
				    "address",
				    path,
				    other->id,
				    dev->id,
				    dev->address_str);
			return FALSE;
		}
		g_hash_table_insert(seen, &keys[i * 2], dev);
		if (!dev->config.bonded)
			g_hash_table_insert(seen, &keys[i * 2 + 1], dev);
	}
	return TRUE;
}

GPtrArray *
bdfu_sim_profile_load(const gchar *path, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GPtrArray) devices =
	    g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_sim_device_free);
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *contents = NULL;
	g_autofree gchar *folder = g_path_get_dirname(path);
	g_auto(GStrv) groups = NULL;
	g_autoptr(GHashTable) ids = g_hash_table_new(g_str_hash, g_str_equal);
	gsize len = 0;
	BdfuSimParse p = {.path = path, .folder = folder, .kf = kf};

	if (!g_file_get_contents(path, &contents, &len, &error_local)) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "cannot read the simulation profile: %s",
			    error_local->message);
		return NULL;
	}
	if (len > BDFU_SIM_MAX_KEY_FILE) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "simulation profile %s is larger than %u kB",
			    path,
			    BDFU_SIM_MAX_KEY_FILE / 1024);
		return NULL;
	}
	if (!g_key_file_load_from_data(kf, contents, len, G_KEY_FILE_NONE, &error_local)) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "simulation profile %s: %s",
			    path,
			    error_local->message);
		return NULL;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (guint i = 0; groups[i] != NULL; i++) {
		const gchar *name;
		guint first = devices->len;
		p.group = groups[i];
		p.fleet = g_str_has_prefix(groups[i], "fleet ");
		if (!p.fleet && !g_str_has_prefix(groups[i], "device ")) {
			bdfu_sim_parse_error(&p,
					     NULL,
					     error,
					     "unknown group; groups are [device NAME] or "
					     "[fleet PREFIX]");
			return NULL;
		}
		name = strchr(groups[i], ' ') + 1;
		if (*name == '\0' || strchr(name, ' ') != NULL || strlen(name) > 24) {
			bdfu_sim_parse_error(&p,
					     NULL,
					     error,
					     "the device name must be 1 to 24 characters without "
					     "spaces");
			return NULL;
		}
		if (!bdfu_sim_add_group(&p, i, devices, error))
			return NULL;
		for (guint j = first; j < devices->len; j++) {
			BdfuSimDevice *dev = g_ptr_array_index(devices, j);
			if (!g_hash_table_add(ids, dev->id)) {
				bdfu_sim_parse_error(
				    &p, NULL, error, "a device '%s' already exists", dev->id);
				return NULL;
			}
		}
	}
	if (devices->len == 0) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "simulation profile %s describes no device; add a [device NAME] group",
			    path);
		return NULL;
	}
	if (!bdfu_sim_check_addresses(path, devices, error))
		return NULL;
	return g_steal_pointer(&devices);
}
