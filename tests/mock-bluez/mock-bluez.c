/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mock-bluez --config FILE [--log FILE]: a fake bluetoothd 5.66 on the bus named by
 * DBUS_SYSTEM_BUS_ADDRESS (never the real system bus). Prints "READY" once org.bluez is owned.
 * SIGUSR1 restarts "bluetoothd". Config (GKeyFile):
 *   [bluez]  adapter-address, powered, att-ms, adv-interval-ms, temporary-timeout-s, restart-ms
 *   [device NAME]  address, name, mode=app|bootloader, sd-fwid, hw-version, sdk, soc, mtu,
 *     public-key (PEM file), bonded, paired, app-version, bootloader-version, debug-bootloader,
 *     save-progress, boot-time-ms, app-valid, fw-revision, rssi, never-answer, flash-slowdown,
 *     page-erase-us, flash-word-write-us,
 *     app-adv-uuids (what the application advertises; default 180a;fe59),
 *     and the BlueZ traps: connect-abort=N, connect-in-progress=N,
 *     services-resolved-delay-ms, notify-before-reply, stale-gatt, stale-gatt-ms,
 *     commands-overtake (Write Commands sent before a queued request),
 *     disconnect-at-byte=N;N, bluetoothd-restart-at-byte=N;N, acquire-write=missing,
 *     notify-rearm-ms, connect-ms, connect-timeout-ms, disconnect-ms, and the radio:
 *     connection-interval-ms (15), packets-per-event (2) */
#include "mock-bluez.h"

#include <glib-unix.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/bdfu-init-packet.h"

static void
bus_up(Mock *mock);

/* ---- configuration ---- */

static guint64
key_uint(GKeyFile *kf, const gchar *group, const gchar *key, guint64 fallback, GError **error)
{
	g_autofree gchar *text = g_key_file_get_string(kf, group, key, NULL);
	gchar *end = NULL;
	guint64 value;
	if (text == NULL)
		return fallback;
	g_strstrip(text);
	value = g_ascii_strtoull(text, &end, 0);
	if (end == text || *end != '\0')
		g_set_error(error,
			    G_KEY_FILE_ERROR,
			    G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[%s] %s=%s is not a number",
			    group,
			    key,
			    text);
	return value;
}

static gboolean
key_bool(GKeyFile *kf, const gchar *group, const gchar *key, gboolean fallback)
{
	g_autoptr(GError) error = NULL;
	gboolean value = g_key_file_get_boolean(kf, group, key, &error);
	return error != NULL ? fallback : value;
}

static GArray *
key_list(GKeyFile *kf, const gchar *group, const gchar *key, GError **error)
{
	GArray *array = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_auto(GStrv) items = g_key_file_get_string_list(kf, group, key, NULL, NULL);
	for (guint i = 0; items != NULL && items[i] != NULL; i++) {
		gchar *end = NULL;
		guint64 value = g_ascii_strtoull(items[i], &end, 0);
		if (end == items[i] || *end != '\0') {
			g_set_error(error,
				    G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_INVALID_VALUE,
				    "[%s] %s: '%s' is not a byte count",
				    group,
				    key,
				    items[i]);
			break;
		}
		g_array_append_val(array, value);
	}
	return array;
}

static guint32
soc_flash_size(const gchar *soc)
{
	if (g_str_equal(soc, "nrf52832") || g_str_equal(soc, "nrf52833"))
		return 0x80000;
	if (g_str_equal(soc, "nrf52840"))
		return 0x100000;
	if (g_str_equal(soc, "nrf52810") || g_str_equal(soc, "nrf52811"))
		return 0x30000;
	return 0;
}

static gboolean
phys_load_key(MockPhys *phys, const gchar *path, GError **error)
{
	g_autofree gchar *pem = NULL;
	gsize len = 0;
	g_autoptr(BdfuKey) key = NULL;
	if (!g_file_get_contents(path, &pem, &len, error))
		return FALSE;
	key = bdfu_key_new_from_pem(pem, len, error);
	if (key == NULL)
		return FALSE;
	bdfu_key_get_raw_le(key, phys->config.public_key_le);
	phys->config.has_public_key = TRUE;
	return TRUE;
}

static MockPhys *
phys_new(Mock *mock, const gchar *group, guint index, GError **error)
{
	GKeyFile *kf = mock->config;
	MockPhys *phys = g_new0(MockPhys, 1);
	g_autofree gchar *address = g_key_file_get_string(kf, group, "address", NULL);
	g_autofree gchar *mode = g_key_file_get_string(kf, group, "mode", NULL);
	g_autofree gchar *soc = g_key_file_get_string(kf, group, "soc", NULL);
	g_autofree gchar *key = g_key_file_get_string(kf, group, "public-key", NULL);
	g_autofree gchar *acquire = g_key_file_get_string(kf, group, "acquire-write", NULL);
	BdfuTargetConfig *c = &phys->config;
	GError *local = NULL;

	phys->mock = mock;
	phys->group = g_strdup(group + strlen("device "));
	g_queue_init(&phys->events);
	bdfu_target_config_init(c);
	if (address == NULL)
		address = g_strdup_printf("C0:DE:00:00:00:%02X", 0x10 + index);
	if (strlen(address) != 17) {
		g_set_error(error,
			    G_KEY_FILE_ERROR,
			    G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[%s] address=%s is not AA:BB:CC:DD:EE:FF",
			    group,
			    address);
		return NULL;
	}
	phys->address = g_ascii_strup(address, -1);
	phys->app_name = g_key_file_get_string(kf, group, "name", NULL);
	if (phys->app_name == NULL)
		phys->app_name = g_strdup(phys->group);
	g_free(c->app_name);
	c->app_name = g_strdup(phys->app_name);
	if (mode != NULL && !g_str_equal(mode, "app") && !g_str_equal(mode, "bootloader")) {
		g_set_error(error,
			    G_KEY_FILE_ERROR,
			    G_KEY_FILE_ERROR_INVALID_VALUE,
			    "[%s] mode=%s: use app or bootloader",
			    group,
			    mode);
		return NULL;
	}
	c->start_in_dfu = g_strcmp0(mode, "bootloader") == 0;
	c->sd_fwid = (guint16)key_uint(kf, group, "sd-fwid", c->sd_fwid, &local);
	if (local == NULL)
		c->hw_version = (guint32)key_uint(kf, group, "hw-version", c->hw_version, &local);
	if (local == NULL)
		c->sdk_major = (guint)key_uint(kf, group, "sdk", c->sdk_major, &local);
	if (local == NULL)
		c->max_att_mtu = (guint16)key_uint(kf, group, "mtu", c->max_att_mtu, &local);
	if (local == NULL)
		c->app_version =
		    (guint32)key_uint(kf, group, "app-version", c->app_version, &local);
	if (local == NULL)
		c->bootloader_version = (guint32)key_uint(
		    kf, group, "bootloader-version", c->bootloader_version, &local);
	if (local == NULL)
		c->boot_time_ms =
		    (guint32)key_uint(kf, group, "boot-time-ms", c->boot_time_ms, &local);
	if (local == NULL)
		c->flash_slowdown =
		    (guint32)key_uint(kf, group, "flash-slowdown", c->flash_slowdown, &local);
	/* flash timing itself: 0 and 0 make flash instant (benchmarks of the host side) */
	if (local == NULL)
		c->page_erase_us =
		    (guint32)key_uint(kf, group, "page-erase-us", c->page_erase_us, &local);
	if (local == NULL)
		c->flash_word_write_us = (guint32)key_uint(kf, group, "flash-word-write-us",
							   c->flash_word_write_us, &local);
	if (local == NULL)
		phys->connect_abort = (guint)key_uint(kf, group, "connect-abort", 0, &local);
	if (local == NULL)
		phys->connect_in_progress =
		    (guint)key_uint(kf, group, "connect-in-progress", 0, &local);
	if (local == NULL)
		phys->resolve_delay_ms =
		    (guint)key_uint(kf, group, "services-resolved-delay-ms", 20, &local);
	if (local == NULL)
		phys->stale_gatt_ms = (guint)key_uint(kf, group, "stale-gatt-ms", 1500, &local);
	if (local == NULL)
		phys->notify_rearm_ms = (guint)key_uint(kf, group, "notify-rearm-ms", 0, &local);
	if (local == NULL)
		phys->connect_ms = (guint)key_uint(kf, group, "connect-ms", 30, &local);
	if (local == NULL)
		phys->connection_interval_ms = (guint)CLAMP(
		    key_uint(kf, group, "connection-interval-ms", 15, &local), 1, 4000);
	if (local == NULL)
		phys->packets_per_event =
		    (guint)CLAMP(key_uint(kf, group, "packets-per-event", 2, &local), 1, 32);
	if (local == NULL)
		phys->connect_timeout_ms =
		    (guint)key_uint(kf, group, "connect-timeout-ms", 5000, &local);
	if (local == NULL)
		phys->disconnect_ms = (guint)key_uint(kf, group, "disconnect-ms", 2000, &local);
	if (local == NULL)
		phys->disconnect_at = key_list(kf, group, "disconnect-at-byte", &local);
	if (local == NULL)
		phys->restart_at = key_list(kf, group, "bluetoothd-restart-at-byte", &local);
	if (local != NULL) {
		g_propagate_error(error, local);
		return NULL;
	}
	if (soc != NULL) {
		c->flash_size = soc_flash_size(soc);
		if (c->flash_size == 0) {
			g_set_error(error,
				    G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_INVALID_VALUE,
				    "[%s] soc=%s is not a known nRF52",
				    group,
				    soc);
			return NULL;
		}
		c->bootloader_start = c->flash_size - 0x8000;
	}
	c->bonded = key_bool(kf, group, "bonded", FALSE);
	c->debug_bootloader = key_bool(kf, group, "debug-bootloader", c->debug_bootloader);
	c->save_progress_in_flash = key_bool(kf, group, "save-progress", c->save_progress_in_flash);
	c->app_valid = key_bool(kf, group, "app-valid", c->app_valid);
	c->never_answer = key_bool(kf, group, "never-answer", FALSE);
	phys->host_bonded = key_bool(kf, group, "paired", c->bonded);
	phys->notify_before_reply = key_bool(kf, group, "notify-before-reply", FALSE);
	phys->stale_gatt = key_bool(kf, group, "stale-gatt", FALSE);
	phys->commands_overtake = key_bool(kf, group, "commands-overtake", FALSE);
	phys->acquire_write_missing = g_strcmp0(acquire, "missing") == 0;
	phys->rssi = g_key_file_has_key(kf, group, "rssi", NULL)
			 ? CLAMP(g_key_file_get_integer(kf, group, "rssi", NULL), -120, 10)
			 : -60;
	/* 127, HCI's "not available", is what virtual controllers report (btvirt) */
	if (g_key_file_has_key(kf, group, "rssi", NULL) &&
	    g_key_file_get_integer(kf, group, "rssi", NULL) == 127)
		phys->rssi = 127;
	phys->fw_revision = g_key_file_get_string(kf, group, "fw-revision", NULL);
	phys->app_adv_uuids = g_key_file_get_string_list(kf, group, "app-adv-uuids", NULL, NULL);
	if (phys->app_adv_uuids == NULL)
		phys->app_adv_uuids = g_strsplit(MOCK_UUID_DIS ";" MOCK_UUID_DFU_SERVICE, ";", -1);
	for (guint i = 0; phys->app_adv_uuids[i] != NULL; i++) {
		gchar *lower = g_ascii_strdown(phys->app_adv_uuids[i], -1);
		if (strlen(lower) == 4) {
			g_free(phys->app_adv_uuids[i]);
			phys->app_adv_uuids[i] =
			    g_strdup_printf("0000%s-0000-1000-8000-00805f9b34fb", lower);
			g_free(lower);
		} else {
			g_free(phys->app_adv_uuids[i]);
			phys->app_adv_uuids[i] = lower;
		}
	}
	/* like the simulated backend: a relative key path is relative to the profile's folder */
	if (key != NULL && !g_path_is_absolute(key)) {
		g_autofree gchar *dir = g_path_get_dirname(mock->config_path);
		gchar *abs = g_build_filename(dir, key, NULL);
		g_free(key);
		key = abs;
	}
	if (key != NULL && !phys_load_key(phys, key, error)) {
		g_prefix_error(error, "[%s] public-key=%s: ", group, key);
		return NULL;
	}
	return phys;
}

static gboolean
mock_load(Mock *mock, const gchar *path, GError **error)
{
	g_auto(GStrv) groups = NULL;
	GError *local = NULL;

	mock->config = g_key_file_new();
	mock->config_path = g_strdup(path);
	if (!g_key_file_load_from_file(mock->config, path, G_KEY_FILE_NONE, error))
		return FALSE;
	mock->adapter_address =
	    g_key_file_get_string(mock->config, "bluez", "adapter-address", NULL);
	if (mock->adapter_address == NULL)
		mock->adapter_address = g_strdup("00:1A:7D:DA:71:13");
	mock->powered_at_start = key_bool(mock->config, "bluez", "powered", TRUE);
	mock->att_ms = (guint)key_uint(mock->config, "bluez", "att-ms", 10, &local);
	if (local == NULL)
		mock->adv_interval_ms =
		    (guint)MAX(key_uint(mock->config, "bluez", "adv-interval-ms", 100, &local), 10);
	if (local == NULL)
		mock->temporary_timeout_s =
		    (guint)key_uint(mock->config, "bluez", "temporary-timeout-s", 30, &local);
	if (local == NULL)
		mock->restart_ms =
		    (guint)key_uint(mock->config, "bluez", "restart-ms", 1000, &local);
	if (local != NULL) {
		g_propagate_error(error, local);
		return FALSE;
	}
	groups = g_key_file_get_groups(mock->config, NULL);
	for (guint i = 0; groups[i] != NULL; i++) {
		MockPhys *phys;
		if (!g_str_has_prefix(groups[i], "device "))
			continue;
		phys = phys_new(mock, groups[i], mock->phys->len, error);
		if (phys == NULL)
			return FALSE;
		g_ptr_array_add(mock->phys, phys);
	}
	if (mock->phys->len == 0) {
		g_set_error(error,
			    G_KEY_FILE_ERROR,
			    G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
			    "%s has no [device NAME] group",
			    path);
		return FALSE;
	}
	return TRUE;
}

/* ---- clients ---- */

typedef struct {
	Mock *mock;
	gchar *sender;
} MockWatch;

static void
watch_free(gpointer data)
{
	MockWatch *watch = data;
	g_free(watch->sender);
	g_free(watch);
}

static void
client_vanished_cb(GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	MockWatch *watch = user_data;
	Mock *mock = watch->mock;
	g_autofree gchar *sender = g_strdup(watch->sender);
	mock_log(mock, "# client %s left the bus", sender);
	mock_adapter_client_vanished(mock, sender);
	g_hash_table_remove(mock->watches, sender); /* frees watch */
}

static void
unwatch(gpointer id)
{
	g_bus_unwatch_name(GPOINTER_TO_UINT(id));
}

void
mock_watch_client(Mock *mock, const gchar *sender)
{
	MockWatch *watch;
	guint id;
	if (sender == NULL || g_hash_table_contains(mock->watches, sender))
		return;
	watch = g_new0(MockWatch, 1);
	watch->mock = mock;
	watch->sender = g_strdup(sender);
	id = g_bus_watch_name_on_connection(mock->bus,
					    sender,
					    G_BUS_NAME_WATCHER_FLAGS_NONE,
					    NULL,
					    client_vanished_cb,
					    watch,
					    watch_free);
	g_hash_table_insert(mock->watches, g_strdup(sender), GUINT_TO_POINTER(id));
}

/* ---- bluetoothd's lifetime on the bus ---- */

typedef struct {
	MockPhys *phys;
	gchar *address;
	GVariant *name;
	gboolean paired;
} MockStored;

static void
name_acquired_cb(GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	Mock *mock = user_data;
	mock_log(mock, "# %s acquired", name);
	mock->restarting = FALSE;
	if (!mock->ready_printed) {
		mock->ready_printed = TRUE;
		printf("READY\n");
		fflush(stdout);
	}
}

static void
name_lost_cb(GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	Mock *mock = user_data;
	if (mock->restarting)
		return;
	g_printerr("mock-bluez: cannot own %s on the test bus (policy, or another owner)\n", name);
	exit(1);
}

static void
bus_up(Mock *mock)
{
	g_autoptr(GError) error = NULL;
	const gchar *address = g_getenv("DBUS_SYSTEM_BUS_ADDRESS");
	mock->bus = g_dbus_connection_new_for_address_sync(
	    address,
	    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
	    NULL,
	    NULL,
	    &error);
	if (mock->bus == NULL) {
		g_printerr("mock-bluez: cannot connect to %s: %s\n", address, error->message);
		exit(1);
	}
	g_dbus_connection_set_exit_on_close(mock->bus, FALSE);
	mock->bus_up = TRUE;
	mock_objects_attach(mock);
	mock_adapter_export(mock);
	mock->own_id = g_bus_own_name_on_connection(mock->bus,
						    MOCK_BUS_NAME,
						    G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
						    name_acquired_cb,
						    name_lost_cb,
						    mock,
						    NULL);
}

static GPtrArray *restart_stored;

static gboolean
restart_up_cb(gpointer user_data)
{
	Mock *mock = user_data;
	bus_up(mock);
	/* devices stored on disk come back, without their GATT objects until connected */
	for (guint i = 0; i < restart_stored->len; i++) {
		MockStored *s = g_ptr_array_index(restart_stored, i);
		MockDevice *dev = mock_device_new(mock, s->phys, s->address, FALSE);
		if (s->name != NULL) {
			mock_object_set(
			    dev->obj, MOCK_IFACE_DEVICE, "Name", g_variant_ref(s->name), FALSE);
			mock_object_set(
			    dev->obj, MOCK_IFACE_DEVICE, "Alias", g_variant_ref(s->name), FALSE);
			g_variant_unref(s->name);
		}
		mock_object_export(dev->obj);
		g_free(s->address);
		g_free(s);
	}
	g_clear_pointer(&restart_stored, g_ptr_array_unref);
	mock_log(mock, "# bluetoothd is back");
	return G_SOURCE_REMOVE;
}

void
mock_restart(Mock *mock)
{
	if (mock->restarting)
		return;
	mock->restarting = TRUE;
	mock_log(mock, "# bluetoothd restarting (org.bluez released for %u ms)", mock->restart_ms);
	/* a dead bluetoothd sends nothing more: drop links and objects without signals */
	mock->bus_up = FALSE;
	restart_stored = g_ptr_array_new();
	while (mock->devices->len > 0) {
		MockDevice *dev = g_ptr_array_index(mock->devices, 0);
		if (dev->link_up) {
			dev->phys->in_target = TRUE;
			bdfu_target_disconnect(dev->phys->target);
			dev->phys->in_target = FALSE;
		}
		if (!dev->temporary) {
			MockStored *s = g_new0(MockStored, 1);
			GVariant *name = mock_object_get(dev->obj, MOCK_IFACE_DEVICE, "Name");
			s->phys = dev->phys;
			s->address = g_strdup(dev->address);
			s->name = name != NULL ? g_variant_ref(name) : NULL;
			g_ptr_array_add(restart_stored, s);
		}
		dev->link_up = FALSE;
		if (dev->phys->link == dev)
			dev->phys->link = NULL;
		g_ptr_array_remove_index(mock->devices, 0);
		mock_device_free(dev);
	}
	g_hash_table_remove_all(mock->discovery);
	g_hash_table_remove_all(mock->filters);
	g_hash_table_remove_all(mock->agents);
	g_hash_table_remove_all(mock->watches);
	g_clear_handle_id(&mock->adv_timer, g_source_remove);
	mock_object_destroy(mock->adapter, FALSE);
	mock_object_destroy(mock->agent_manager, FALSE);
	mock->adapter = mock->agent_manager = NULL;
	mock_objects_detach(mock);
	g_bus_unown_name(mock->own_id);
	mock->own_id = 0;
	g_dbus_connection_close_sync(mock->bus, NULL, NULL);
	g_clear_object(&mock->bus);
	for (guint i = 0; i < mock->phys->len; i++)
		mock_phys_run(g_ptr_array_index(mock->phys, i));
	g_timeout_add(mock->restart_ms, restart_up_cb, mock);
}

/* everything goes, so that leak checkers see only real leaks */
static void
mock_free(Mock *mock)
{
	while (mock->devices->len > 0) {
		MockDevice *dev = g_ptr_array_index(mock->devices, 0);
		g_ptr_array_remove_index(mock->devices, 0);
		mock_device_free(dev);
	}
	g_hash_table_remove_all(mock->watches);
	g_clear_handle_id(&mock->adv_timer, g_source_remove);
	if (mock->bus != NULL) {
		mock_object_destroy(mock->adapter, FALSE);
		mock_object_destroy(mock->agent_manager, FALSE);
		mock_objects_detach(mock);
		if (mock->own_id != 0)
			g_bus_unown_name(mock->own_id);
		g_dbus_connection_close_sync(mock->bus, NULL, NULL);
		g_clear_object(&mock->bus);
	}
	for (guint i = 0; i < mock->phys->len; i++)
		mock_phys_free(g_ptr_array_index(mock->phys, i));
	g_ptr_array_unref(mock->phys);
	g_ptr_array_unref(mock->devices);
	g_hash_table_unref(mock->watches);
	g_hash_table_unref(mock->discovery);
	g_hash_table_unref(mock->filters);
	g_hash_table_unref(mock->agents);
	g_hash_table_unref(mock->objects);
	g_hash_table_unref(mock->paths);
	g_mutex_clear(&mock->paths_lock);
	g_dbus_node_info_unref(mock->introspection);
	g_key_file_unref(mock->config);
	g_free(mock->config_path);
	g_free(mock->adapter_address);
	g_main_loop_unref(mock->loop);
	if (mock->log != NULL)
		fclose(mock->log);
}

static gboolean
sigusr1_cb(gpointer user_data)
{
	mock_restart(user_data);
	return G_SOURCE_CONTINUE;
}

static gboolean
sigterm_cb(gpointer user_data)
{
	Mock *mock = user_data;
	g_main_loop_quit(mock->loop);
	return G_SOURCE_REMOVE;
}

static void
unref_or_null(gpointer value)
{
	if (value != NULL)
		g_variant_unref(value);
}

int
main(int argc, char **argv)
{
	g_autofree gchar *config_path = NULL;
	g_autofree gchar *log_path = NULL;
	const GOptionEntry entries[] = {
	    {"config", 0, 0, G_OPTION_ARG_FILENAME, &config_path, "devices and faults", "FILE"},
	    {"log", 0, 0, G_OPTION_ARG_FILENAME, &log_path, "one line per method call", "FILE"},
	    {NULL}};
	g_autoptr(GOptionContext) context = g_option_context_new("- a fake bluetoothd 5.66");
	g_autoptr(GError) error = NULL;
	Mock mock = {0};

	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("mock-bluez: %s\n", error->message);
		return 2;
	}
	if (config_path == NULL) {
		g_printerr("mock-bluez: --config FILE is required\n");
		return 2;
	}
	/* never take org.bluez on the machine's real system bus */
	if (g_getenv("DBUS_SYSTEM_BUS_ADDRESS") == NULL) {
		g_printerr("mock-bluez: set DBUS_SYSTEM_BUS_ADDRESS to a private test bus\n");
		return 2;
	}
	g_mutex_init(&mock.paths_lock);
	mock.paths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	mock.objects = g_hash_table_new(g_str_hash, g_str_equal);
	mock.discovery = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, unref_or_null);
	mock.filters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, unref_or_null);
	mock.agents = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	mock.watches = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, unwatch);
	mock.phys = g_ptr_array_new();
	mock.devices = g_ptr_array_new();
	mock.introspection = mock_introspection_new();
	if (!mock_load(&mock, config_path, &error)) {
		g_printerr("mock-bluez: %s\n", error->message);
		return 2;
	}
	if (log_path != NULL) {
		mock.log = fopen(log_path, "we");
		if (mock.log == NULL) {
			g_printerr(
			    "mock-bluez: cannot write %s: %s\n", log_path, g_strerror(errno));
			return 2;
		}
	}
	mock.loop = g_main_loop_new(NULL, FALSE);
	for (guint i = 0; i < mock.phys->len; i++)
		mock_phys_start(g_ptr_array_index(mock.phys, i));
	bus_up(&mock);
	g_timeout_add_seconds(1, mock_adapter_housekeeping, &mock);
	g_unix_signal_add(SIGUSR1, sigusr1_cb, &mock);
	g_unix_signal_add(SIGTERM, sigterm_cb, &mock);
	g_unix_signal_add(SIGINT, sigterm_cb, &mock);
	g_main_loop_run(mock.loop);
	mock_log(&mock, "# exiting");
	mock_free(&mock);
	return 0;
}
