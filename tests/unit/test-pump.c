/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The engine against the bootloader model, no main loop: every secure package under
 * ../shared/fixtures into a simulated device that matches it, the founding user's merged hex,
 * and each kind of mismatch with the target's real answer. */
#include <cjson/cJSON.h>
#include <string.h>

#include "bluedfu/bdfu-error.h"
#include "common/bdfu-pump.h"
#include "core/bdfu-image.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(cJSON, cJSON_Delete)

static const gchar *
fixtures_dir(void)
{
	const gchar *dir = g_getenv("BDFU_FIXTURES");
	if (dir == NULL || !g_file_test(dir, G_FILE_TEST_IS_DIR))
		return NULL;
	return dir;
}

/* a string member, NULL when absent or not a string */
static const gchar *
json_str(const cJSON *object, const gchar *name)
{
	const cJSON *item = object != NULL ? cJSON_GetObjectItem(object, name) : NULL;
	return cJSON_IsString(item) ? item->valuestring : NULL;
}

static gboolean
load_key(const gchar *path, BdfuTargetConfig *config)
{
	g_autofree gchar *pem = NULL;
	gsize len = 0;
	g_autoptr(BdfuKey) key = NULL;
	if (!g_file_get_contents(path, &pem, &len, NULL))
		return FALSE;
	key = bdfu_key_new_from_pem(pem, len, NULL);
	if (key == NULL)
		return FALSE;
	config->has_public_key = bdfu_key_get_raw_le(key, config->public_key_le);
	return config->has_public_key;
}

static gchar *
find_key(const gchar *fixtures, const gchar *key_id)
{
	g_autofree gchar *dir = g_build_filename(fixtures, "keys", "public", NULL);
	g_autoptr(GDir) gdir = g_dir_open(dir, 0, NULL);
	g_autofree gchar *suffix = g_strdup_printf("_%s.pub.pem", key_id);
	const gchar *name;
	while (gdir != NULL && (name = g_dir_read_name(gdir)) != NULL) {
		if (g_str_has_suffix(name, suffix))
			return g_build_filename(dir, name, NULL);
	}
	return NULL;
}

/* a device the package was made for: SoftDevice from sd_req, hw version, key, SoC */
static void
config_for_package(BdfuTargetConfig *config, BdfuPackage *package, const gchar *soc)
{
	BdfuPackagePart *first = g_ptr_array_index(package->parts, 0);
	const BdfuInitPacket *init = first->init;

	config->sdk_major = 17;
	config->hw_version = init->has_hw_version ? init->hw_version : 52;
	config->sd_fwid = 0;
	for (guint i = 0; i < init->sd_req_len; i++) {
		if (bdfu_softdevice_lookup(init->sd_req[i]) != NULL) {
			config->sd_fwid = init->sd_req[i];
			break;
		}
	}
	if (config->sd_fwid == 0 && init->sd_req_len > 0)
		config->sd_fwid = init->sd_req[0];
	config->debug_bootloader = init->has_is_debug && init->is_debug;
	config->app_version = 0;
	config->bootloader_version = 0;
	if (g_strcmp0(soc, "nRF52840") == 0) {
		config->flash_size = 0x100000;
	} else if (g_str_has_prefix(soc, "nRF51")) {
		config->flash_size = 0x40000;
		config->sdk_major = 12;
		config->max_att_mtu = 23;
	} else {
		config->flash_size = 0x80000;
	}
	{
		/* a bootloader area that holds the largest bootloader in the package, plus the
		 * MBR parameter and settings pages */
		guint32 page = config->hw_version == 51 ? 1024 : 4096;
		guint32 area = page == 1024 ? 0x5400 : 0x8000; /* SDK 12 nRF51: 0x3AC00 */
		for (guint i = 0; i < package->parts->len; i++) {
			BdfuPackagePart *part = g_ptr_array_index(package->parts, i);
			if (part->init != NULL && part->init->has_bl_size)
				area =
				    MAX(area,
					(part->init->bl_size + page - 1) / page * page + 2 * page);
		}
		config->bootloader_start = config->flash_size - area;
	}
	config->start_in_dfu = TRUE;
}

static void
test_pump_fixtures(void)
{
	const gchar *fixtures = fixtures_dir();
	g_autofree gchar *json_path = NULL;
	g_autofree gchar *text = NULL;
	g_autoptr(cJSON) root = NULL;
	const cJSON *entry;
	guint updated = 0;

	if (fixtures == NULL) {
		g_test_skip("no fixtures (set BDFU_FIXTURES)");
		return;
	}
	json_path = g_build_filename(fixtures, "fixtures.json", NULL);
	g_assert_true(g_file_get_contents(json_path, &text, NULL, NULL));
	root = cJSON_Parse(text);
	g_assert_nonnull(root);

	cJSON_ArrayForEach(entry, root)
	{
		const gchar *category = json_str(entry, "category");
		const gchar *folder = json_str(entry, "folder");
		const gchar *file = json_str(entry, "file");
		const gchar *soc = json_str(entry, "soc");
		const gchar *key_id = json_str(
		    cJSON_GetArrayItem(cJSON_GetObjectItem(entry, "parts"), 0), "signature");
		g_autofree gchar *zip = g_build_filename(fixtures, folder, file, NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(BdfuPackage) package = NULL;
		g_autoptr(BdfuTarget) target = NULL;
		BdfuTargetConfig config;
		BdfuPumpConfig pump;
		BdfuPumpStats stats;
		BdfuTargetMode mode;
		guint64 now = 0;

		if (g_strcmp0(category, "secure") != 0 && g_strcmp0(category, "unsigned") != 0)
			continue;
		g_assert_nonnull(folder);
		g_assert_nonnull(file);
		g_assert_nonnull(key_id);
		if (soc == NULL)
			soc = "nRF52832";
		package = bdfu_package_new_from_file(zip, NULL, &error);
		g_assert_no_error(error);

		bdfu_target_config_init(&config);
		config_for_package(&config, package, soc);
		if (g_strcmp0(key_id, "unsigned") != 0) {
			g_autofree gchar *key = find_key(fixtures, key_id);
			g_assert_nonnull(key);
			g_assert_true(load_key(key, &config));
		}
		target = bdfu_target_new(&config, NULL, NULL);
		bdfu_pump_config_init(&pump);
		if (config.max_att_mtu == 23)
			pump.link.requested_mtu = 23;
		if (!bdfu_pump_update(target, &now, package, &pump, &stats, &mode, &error))
			g_error("%s: %s", folder, error->message);
		g_test_message("%s: %u parts, %.1f s, mode %d (%s)",
			       folder,
			       package->parts->len,
			       stats.elapsed_us / 1e6,
			       mode,
			       bdfu_target_get_boot_reason(target));
		g_assert_false(stats.restarted_from_zero_silently);
		bdfu_target_config_clear(&config);
		updated++;
	}
	g_assert_cmpuint(updated, >=, 30);
}

static BdfuPackage *
load_fixture(const gchar *relative)
{
	const gchar *fixtures = fixtures_dir();
	g_autofree gchar *path = g_build_filename(fixtures, relative, NULL);
	g_autoptr(GError) error = NULL;
	BdfuPackage *package = bdfu_package_new_from_file(path, NULL, &error);
	g_assert_no_error(error);
	return package;
}

static void
seed_config(BdfuTargetConfig *config)
{
	g_autofree gchar *key = g_build_filename(fixtures_dir(), "seed", "seed-key.pub.pem", NULL);
	bdfu_target_config_init(config);
	config->sdk_major = 14;
	config->max_att_mtu = 23;
	config->sd_fwid = 0x9D;
	config->flash_size = 0x80000;
	config->bootloader_start = 0x78000;
	config->start_in_dfu = TRUE;
	g_assert_true(load_key(key, config));
}

/* the founding user's case: 100 %, the bootloader is happy, the app never runs */
static void
test_pump_seed(void)
{
	g_autoptr(BdfuPackage) merged = NULL;
	g_autoptr(BdfuPackage) app_only = NULL;
	g_autoptr(GError) error = NULL;
	BdfuTargetConfig config;
	BdfuPumpConfig pump;
	BdfuPumpStats stats;
	BdfuTargetMode mode;
	guint64 now = 0;

	if (fixtures_dir() == NULL) {
		g_test_skip("no fixtures (set BDFU_FIXTURES)");
		return;
	}
	merged = load_fixture("seed/seed-merged-hex.zip");
	app_only = load_fixture("seed/seed-app-only.zip");
	seed_config(&config);
	bdfu_pump_config_init(&pump);
	pump.link.requested_mtu = 23;
	{
		g_autoptr(BdfuTarget) target = bdfu_target_new(&config, NULL, NULL);
		g_assert_true(bdfu_pump_update(target, &now, merged, &pump, &stats, &mode, &error));
		g_assert_no_error(error);
		/* 100 %: every byte confirmed and the final Execute answered */
		g_assert_cmpuint(stats.total, >, 0);
		g_assert_cmpuint(stats.verified, ==, stats.total);
		g_assert_cmpint(mode, ==, BDFU_TARGET_MODE_SILENT);
		g_assert_nonnull(strstr(bdfu_target_get_boot_reason(target), "SoftDevice"));
	}
	now = 0;
	{
		g_autoptr(BdfuTarget) target = bdfu_target_new(&config, NULL, NULL);
		g_assert_true(
		    bdfu_pump_update(target, &now, app_only, &pump, &stats, &mode, &error));
		g_assert_no_error(error);
		g_assert_cmpint(mode, ==, BDFU_TARGET_MODE_APP);
	}
	bdfu_target_config_clear(&config);
}

typedef struct {
	const gchar *name;
	void (*change)(BdfuTargetConfig *config);
	gint code;
	const gchar *needle;
} Mismatch;

static void
wrong_key(BdfuTargetConfig *c)
{
	c->public_key_le[5] ^= 0xFF;
	c->public_key_le[40] ^= 0x55;
}
static void
wrong_hw(BdfuTargetConfig *c)
{
	c->hw_version = 51;
}
static void
wrong_sd(BdfuTargetConfig *c)
{
	c->sd_fwid = 0xA8;
}
static void
higher_version(BdfuTargetConfig *c)
{
	c->app_version = 5;
}
static void
small_flash(BdfuTargetConfig *c)
{
	/* bank 0 ends three pages (app data) below the bootloader: no room at all */
	c->bootloader_start = 0x26000;
}

static void
test_pump_mismatches(void)
{
	const Mismatch cases[] = {
	    {"wrong key", wrong_key, BDFU_ERROR_REJECTED, "signature"},
	    {"hw version", wrong_hw, BDFU_ERROR_REJECTED, "hw"},
	    {"sd_req", wrong_sd, BDFU_ERROR_REJECTED, "sd_req"},
	    {"lower version", higher_version, BDFU_ERROR_REJECTED, "version"},
	    {"too big", small_flash, BDFU_ERROR_REJECTED, "fit"},
	};
	g_autoptr(BdfuPackage) app = NULL;

	if (fixtures_dir() == NULL) {
		g_test_skip("no fixtures (set BDFU_FIXTURES)");
		return;
	}
	app = load_fixture("seed/seed-app-only.zip");
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(BdfuTarget) target = NULL;
		BdfuTargetConfig config;
		BdfuPumpConfig pump;
		BdfuPumpStats stats;
		guint64 now = 0;

		seed_config(&config);
		cases[i].change(&config);
		target = bdfu_target_new(&config, NULL, NULL);
		bdfu_pump_config_init(&pump);
		pump.link.requested_mtu = 23;
		g_assert_false(bdfu_pump_update(target, &now, app, &pump, &stats, NULL, &error));
		g_test_message("%s: %s", cases[i].name, error->message);
		g_assert_error(error, BDFU_ERROR, cases[i].code);
		if (strcasestr(error->message, cases[i].needle) == NULL)
			g_error("%s: '%s' does not mention %s",
				cases[i].name,
				error->message,
				cases[i].needle);
		bdfu_target_config_clear(&config);
	}
}

/* faults: each transfer must still end with the new application running, and a loss must
 * resume where the device's data allows, never silently from zero --------------------------- */

#define FAULT_FIXTURE "secure/ios_nrf52840_sdk17.1_app/nrf52840_sdk_17.1_app.zip"
#define FAULT_KEY "2cc8db49"

typedef struct {
	const gchar *fault;
	guint sdk_major;
	gboolean save_progress;
	guint16 prn;
	guint reconnects;
	gboolean resumed; /* a RESUMED event (the device held verified data when the link broke) */
	gboolean bounded; /* no restart: at most two objects sent twice */
} FaultCase;

static void
run_fault(const FaultCase *fc)
{
	g_autoptr(BdfuPackage) package = load_fixture(FAULT_FIXTURE);
	g_autoptr(BdfuTarget) target = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *key = find_key(fixtures_dir(), FAULT_KEY);
	BdfuPackagePart *part = g_ptr_array_index(package->parts, 0);
	gsize size = g_bytes_get_size(part->bin);
	BdfuTargetConfig config;
	BdfuPumpConfig pump;
	BdfuPumpStats stats;
	BdfuTargetMode mode;
	guint64 now = 0;

	bdfu_target_config_init(&config);
	config_for_package(&config, package, "nRF52840");
	config.sdk_major = fc->sdk_major;
	config.save_progress_in_flash = fc->save_progress;
	g_assert_nonnull(key);
	g_assert_true(load_key(key, &config));
	target = bdfu_target_new(&config, NULL, NULL);
	bdfu_pump_config_init(&pump);
	pump.engine.prn = fc->prn;
	if (fc->fault != NULL) {
		g_assert_true(bdfu_fault_parse(fc->fault, &pump.faults[0], &error));
		g_assert_no_error(error);
		pump.n_faults = 1;
	}
	if (!bdfu_pump_update(target, &now, package, &pump, &stats, &mode, &error))
		g_error("%s (SDK %u): %s", fc->fault, fc->sdk_major, error->message);
	g_test_message("%s (SDK %u%s, PRN %u): %.1f s, %u reconnects, %u resumes, %u data writes",
		       fc->fault,
		       fc->sdk_major,
		       fc->save_progress ? ", progress in flash" : "",
		       fc->prn,
		       stats.elapsed_us / 1e6,
		       stats.reconnects,
		       stats.resumes,
		       stats.data_writes);
	g_assert_cmpint(mode, ==, BDFU_TARGET_MODE_APP);
	g_assert_false(stats.restarted_from_zero_silently);
	g_assert_cmpuint(stats.reconnects, ==, fc->reconnects);
	/* every reconnect says where the transfer goes on (a RESUMED event), even from 0 */
	g_assert_cmpuint(stats.resumes, >=, stats.reconnects);
	if (fc->resumed)
		g_assert_cmpuint(stats.resumes, >=, 1);
	if (fc->bounded) {
		/* 244-byte packets, the init packet once per connection, and the target's
		 * flash queue may drop the last two packets of each object (re-sent at once) */
		gsize objects = (size + 4095) / 4096;
		gsize packets = (size + 243) / 244 + stats.reconnects + 1;
		g_assert_cmpuint(stats.data_writes, <=, packets + 2 * 17 + 2 * objects);
	}
	bdfu_target_config_clear(&config);
}

static void
test_pump_fault_disconnect(void)
{
	const FaultCase cases[] = {
	    /* SDK 15 keeps the object in RAM: mid-object resume */
	    {"disconnect-at-byte:37000", 15, FALSE, 0, 1, TRUE, TRUE},
	    {"disconnect-at-byte:37000", 15, FALSE, 12, 1, TRUE, TRUE},
	    {"disconnect-at-byte:4000", 15, FALSE, 0, 1, TRUE, TRUE},
	    /* SDK 17 with progress saved in flash: from the last executed object */
	    {"disconnect-at-byte:37000", 17, TRUE, 0, 1, TRUE, TRUE},
	    /* SDK 17 default: the device forgets the data; the restart is announced */
	    {"disconnect-at-byte:37000", 17, FALSE, 0, 1, TRUE, FALSE},
	    {"disconnect-at-init", 17, FALSE, 0, 1, FALSE, TRUE},
	    /* the answer to the last Execute never comes: the device activated anyway */
	    {"disconnect-before-final-execute", 17, FALSE, 0, 0, FALSE, TRUE},
	};
	if (fixtures_dir() == NULL) {
		g_test_skip("no fixtures (set BDFU_FIXTURES)");
		return;
	}
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		run_fault(&cases[i]);
}

static void
test_pump_fault_data(void)
{
	const FaultCase cases[] = {
	    {NULL, 17, FALSE, 0, 0, FALSE, TRUE},
	    {"drop-packet:12", 17, FALSE, 0, 0, FALSE, TRUE},
	    {"drop-packet:12", 17, FALSE, 12, 0, FALSE, TRUE},
	    {"corrupt-byte:5000", 17, FALSE, 0, 0, FALSE, TRUE},
	    {"corrupt-byte:5000", 15, FALSE, 12, 0, FALSE, TRUE},
	    {"corrupt-byte:53000", 17, FALSE, 1, 0, FALSE, TRUE},
	};
	if (fixtures_dir() == NULL) {
		g_test_skip("no fixtures (set BDFU_FIXTURES)");
		return;
	}
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		run_fault(&cases[i]);
}

static void
test_pump_fault_notification(void)
{
	const FaultCase cases[] = {
	    /* a receipt lost: recovered with Calculate Checksum on the same link */
	    {"lose-notification:12", 17, FALSE, 4, 0, FALSE, TRUE},
	    /* answers lost (Select, Create, Execute of the init packet, a data Execute):
	     * the response timeout drops the link and the transfer resumes */
	    {"lose-notification:1", 17, FALSE, 0, 1, FALSE, TRUE},
	    {"lose-notification:3", 15, FALSE, 0, 1, FALSE, TRUE},
	    {"lose-notification:5", 17, FALSE, 0, 1, FALSE, TRUE},
	    {"lose-notification:20", 15, FALSE, 0, 1, TRUE, TRUE},
	};
	if (fixtures_dir() == NULL) {
		g_test_skip("no fixtures (set BDFU_FIXTURES)");
		return;
	}
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		run_fault(&cases[i]);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/pump/fixtures/every-secure-package", test_pump_fixtures);
	g_test_add_func("/pump/seed/merged-hex-silent-app-only-boots", test_pump_seed);
	g_test_add_func("/pump/mismatch/target-answers", test_pump_mismatches);
	g_test_add_func("/pump/fault/disconnect-resumes", test_pump_fault_disconnect);
	g_test_add_func("/pump/fault/bad-data-retried", test_pump_fault_data);
	g_test_add_func("/pump/fault/lost-notification", test_pump_fault_notification);
	return g_test_run();
}
