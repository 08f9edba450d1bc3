/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The simulated backend driven directly in a main loop, as the update job drives it. */
#include <glib/gstdio.h>

#include "backend/sim/bdfu-sim-backend.h"
#include "bluedfu/bdfu-error.h"

/* waiting ----------------------------------------------------------------------------------------
 */

static void
store_result_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GAsyncResult **slot = user_data;
	*slot = g_object_ref(res);
}

static GAsyncResult *
wait_for(GAsyncResult **slot)
{
	while (*slot == NULL)
		g_main_context_iteration(NULL, TRUE);
	return *slot;
}

static GPtrArray *
scan(BdfuBackend *backend, const BdfuScanFilter *filter, guint timeout_ms, GError **error)
{
	GAsyncResult *res = NULL;
	GPtrArray *devices;
	bdfu_backend_scan_async(backend, filter, timeout_ms, NULL, store_result_cb, &res);
	devices = bdfu_backend_scan_finish(backend, wait_for(&res), error);
	g_object_unref(res);
	return devices;
}

static BdfuConnection *
connect_to(BdfuBackend *backend, const gchar *address, GError **error)
{
	GAsyncResult *res = NULL;
	BdfuConnection *conn;
	bdfu_backend_connect_async(backend, address, NULL, store_result_cb, &res);
	conn = bdfu_backend_connect_finish(backend, wait_for(&res), error);
	g_object_unref(res);
	return conn;
}

typedef gboolean (*BoolFinish)(BdfuConnection *, GAsyncResult *, GError **);

static gboolean
finish_bool(BdfuConnection *conn, GAsyncResult **res, BoolFinish finish, GError **error)
{
	gboolean ok = finish(conn, wait_for(res), error);
	g_clear_object(res);
	return ok;
}

static gboolean
write_ctrl(BdfuConnection *conn, const guint8 *buf, gsize len, GError **error)
{
	GAsyncResult *res = NULL;
	g_autoptr(GBytes) value = g_bytes_new(buf, len);
	bdfu_connection_write_ctrl_async(conn, value, NULL, store_result_cb, &res);
	return finish_bool(conn, &res, bdfu_connection_write_ctrl_finish, error);
}

static gboolean
write_buttonless(BdfuConnection *conn, const guint8 *buf, gsize len, GError **error)
{
	GAsyncResult *res = NULL;
	g_autoptr(GBytes) value = g_bytes_new(buf, len);
	bdfu_connection_write_buttonless_async(conn, value, NULL, store_result_cb, &res);
	return finish_bool(conn, &res, bdfu_connection_write_buttonless_finish, error);
}

static gchar *
read_fw_revision(BdfuConnection *conn, GError **error)
{
	GAsyncResult *res = NULL;
	gchar *revision;
	bdfu_connection_read_fw_revision_async(conn, NULL, store_result_cb, &res);
	revision = bdfu_connection_read_fw_revision_finish(conn, wait_for(&res), error);
	g_object_unref(res);
	return revision;
}

static gboolean
timer_done_cb(gpointer user_data)
{
	*(gboolean *)user_data = TRUE;
	return G_SOURCE_REMOVE;
}

/* what a connection said */
typedef struct {
	GPtrArray *notifications; /* GBytes* */
	GPtrArray *indications;
	guint disconnects;
	guint reason;
} Heard;

static void
heard_value_cb(BdfuConnection *conn, GBytes *value, gpointer user_data)
{
	g_ptr_array_add(user_data, g_bytes_ref(value));
}

static void
heard_disconnected_cb(BdfuConnection *conn, guint reason, gpointer user_data)
{
	Heard *heard = user_data;
	heard->disconnects++;
	heard->reason = reason;
}

static void
heard_listen(Heard *heard, BdfuConnection *conn)
{
	heard->notifications = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	heard->indications = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g_signal_connect(conn, "notification", G_CALLBACK(heard_value_cb), heard->notifications);
	g_signal_connect(conn, "indication", G_CALLBACK(heard_value_cb), heard->indications);
	g_signal_connect(conn, "disconnected", G_CALLBACK(heard_disconnected_cb), heard);
}

static void
heard_clear(Heard *heard, BdfuConnection *conn)
{
	g_signal_handlers_disconnect_by_data(conn, heard->notifications);
	g_signal_handlers_disconnect_by_data(conn, heard->indications);
	g_signal_handlers_disconnect_by_data(conn, heard);
	g_ptr_array_unref(heard->notifications);
	g_ptr_array_unref(heard->indications);
	*heard = (Heard){0};
}

static void
wait_for_count(GPtrArray *array, guint n)
{
	while (array->len < n)
		g_main_context_iteration(NULL, TRUE);
}

static void
assert_bytes(GBytes *bytes, const guint8 *want, gsize want_len)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(bytes, &len);
	g_assert_cmpmem(data, len, want, want_len);
}

static gchar *
write_profile(const gchar *dir, const gchar *name, const gchar *text)
{
	gchar *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;
	g_assert_true(g_file_set_contents(path, text, -1, &error));
	g_assert_no_error(error);
	return path;
}

/* tests -------------------------------------------------------------------------------------------
 */

static void
test_default_scan(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuBackend) backend = bdfu_sim_backend_new(NULL, FALSE, &error);
	g_autoptr(GPtrArray) devices = NULL;
	BdfuScanFilter filter = {0};
	gchar *wrong[] = {"C0:DE:5E:ED:00:09", NULL};
	BdfuDeviceInfo *info;

	g_assert_no_error(error);
	g_assert_cmpstr(bdfu_backend_get_name(backend), ==, "sim");
	devices = scan(backend, &filter, 2000, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(devices->len, ==, 1);
	info = g_ptr_array_index(devices, 0);
	g_assert_cmpstr(info->address, ==, BDFU_SIM_DEFAULT_ADDRESS);
	g_assert_cmpstr(info->name, ==, "bluedfu-demo");
	g_assert_cmpint(info->mode, ==, BDFU_DEVICE_MODE_APP_BUTTONLESS);
	g_assert_cmpstr(info->adapter, ==, "sim0");
	g_assert_false(info->bonded);
	g_assert_cmpint(info->rssi, <, 0);
	g_clear_pointer(&devices, g_ptr_array_unref);

	/* the filter: names, addresses, modes */
	filter.name_glob = "bluedfu-*";
	filter.stop_at_first = TRUE;
	devices = scan(backend, &filter, 2000, &error);
	g_assert_cmpuint(devices->len, ==, 1);
	g_clear_pointer(&devices, g_ptr_array_unref);
	filter.dfu_only = TRUE;
	devices = scan(backend, &filter, 2000, &error);
	g_assert_cmpuint(devices->len, ==, 0);
	g_clear_pointer(&devices, g_ptr_array_unref);
	filter.dfu_only = FALSE;
	filter.name_glob = NULL;
	filter.addresses = wrong;
	devices = scan(backend, &filter, 2000, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(devices->len, ==, 0);
}

static void
test_connect_not_found(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuBackend) backend = bdfu_sim_backend_new(NULL, FALSE, &error);
	g_autoptr(BdfuConnection) conn = connect_to(backend, "C0:DE:5E:ED:00:09", &error);
	g_assert_null(conn);
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "C0:DE:5E:ED:00:09"));
}

/* the application's buttonless service, then the bootloader at address+1 */
static void
test_buttonless_entry(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuBackend) backend = bdfu_sim_backend_new(NULL, FALSE, &error);
	g_autoptr(BdfuConnection) app = NULL;
	g_autoptr(BdfuConnection) dfu = NULL;
	g_autoptr(GPtrArray) devices = NULL;
	g_autofree gchar *revision = NULL;
	GAsyncResult *res = NULL;
	BdfuScanFilter filter = {0};
	gchar *dfu_address[] = {"C0:DE:5E:ED:00:02", NULL};
	const guint8 set_name[] = {0x02, 0x07, 'D', 'f', 'u', 'T', 'e', 's', 't'};
	const guint8 set_name_ok[] = {0x20, 0x02, 0x01};
	const guint8 enter[] = {0x01};
	const guint8 enter_ok[] = {0x20, 0x01, 0x01};
	const guint8 select_command[] = {0x06, 0x01};
	BdfuDeviceInfo *info;
	Heard heard = {0};

	app = connect_to(backend, "c0:de:5e:ed:00:01", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(bdfu_connection_get_address(app), ==, BDFU_SIM_DEFAULT_ADDRESS);
	g_assert_cmpuint(bdfu_connection_get_mode(app), ==, BDFU_DEVICE_MODE_APP_BUTTONLESS);
	g_assert_true(bdfu_connection_is_connected(app));
	revision = read_fw_revision(app, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(revision, ==, "app v0");
	heard_listen(&heard, app);

	/* a connected device does not advertise */
	devices = scan(backend, &filter, 500, &error);
	g_assert_cmpuint(devices->len, ==, 0);
	g_clear_pointer(&devices, g_ptr_array_unref);

	bdfu_connection_enable_buttonless_async(app, NULL, store_result_cb, &res);
	g_assert_true(finish_bool(app, &res, bdfu_connection_enable_buttonless_finish, &error));
	g_assert_no_error(error);
	g_assert_true(write_buttonless(app, set_name, sizeof(set_name), &error));
	g_assert_no_error(error);
	wait_for_count(heard.indications, 1);
	assert_bytes(g_ptr_array_index(heard.indications, 0), set_name_ok, sizeof(set_name_ok));
	g_assert_true(write_buttonless(app, enter, sizeof(enter), &error));
	g_assert_no_error(error);
	wait_for_count(heard.indications, 2);
	assert_bytes(g_ptr_array_index(heard.indications, 1), enter_ok, sizeof(enter_ok));
	/* the application resets into its bootloader and drops the link, once */
	while (heard.disconnects == 0)
		g_main_context_iteration(NULL, TRUE);
	g_assert_false(bdfu_connection_is_connected(app));
	g_assert_false(bdfu_connection_write_data(app, enter, 1, &error));
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_CONNECTION_FAILED);
	g_clear_error(&error);

	/* rediscovery at address+1, under the name it was given */
	filter.addresses = dfu_address;
	filter.name_glob = "DfuTest";
	filter.dfu_only = TRUE;
	filter.stop_at_first = TRUE;
	devices = scan(backend, &filter, 10000, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(devices->len, ==, 1);
	info = g_ptr_array_index(devices, 0);
	g_assert_cmpstr(info->address, ==, "C0:DE:5E:ED:00:02");
	g_assert_cmpstr(info->name, ==, "DfuTest");
	g_assert_cmpint(info->mode, ==, BDFU_DEVICE_MODE_DFU);
	g_assert_cmpuint(heard.disconnects, ==, 1);
	heard_clear(&heard, app);

	dfu = connect_to(backend, info->address, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(bdfu_connection_get_mode(dfu), ==, BDFU_DEVICE_MODE_DFU);
	g_assert_cmpuint(bdfu_connection_get_mtu(dfu), ==, 247);
	g_clear_pointer(&revision, g_free);
	revision = read_fw_revision(dfu, &error);
	g_assert_no_error(error);
	g_assert_null(revision);
	heard_listen(&heard, dfu);

	/* the Control Point wants its notifications enabled first (ATT 0xFD) */
	g_assert_false(write_ctrl(dfu, select_command, sizeof(select_command), &error));
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, "0xFD"));
	g_clear_error(&error);
	bdfu_connection_enable_dfu_async(dfu, NULL, store_result_cb, &res);
	g_assert_true(finish_bool(dfu, &res, bdfu_connection_enable_dfu_finish, &error));
	g_assert_no_error(error);
	g_assert_true(write_ctrl(dfu, select_command, sizeof(select_command), &error));
	g_assert_no_error(error);
	wait_for_count(heard.notifications, 1);
	{
		gsize len = 0;
		const guint8 *buf =
		    g_bytes_get_data(g_ptr_array_index(heard.notifications, 0), &len);
		g_assert_cmpuint(len, ==, 15);
		g_assert_cmpuint(buf[0], ==, 0x60);
		g_assert_cmpuint(buf[1], ==, 0x06);
		g_assert_cmpuint(buf[2], ==, 0x01);
	}

	/* a host disconnect: completes, one signal */
	bdfu_connection_disconnect_async(dfu, NULL, store_result_cb, &res);
	g_assert_true(finish_bool(dfu, &res, bdfu_connection_disconnect_finish, &error));
	g_assert_no_error(error);
	bdfu_connection_disconnect_async(dfu, NULL, store_result_cb, &res);
	g_assert_true(finish_bool(dfu, &res, bdfu_connection_disconnect_finish, &error));
	g_assert_cmpuint(heard.disconnects, ==, 1);
	g_assert_false(write_ctrl(dfu, select_command, sizeof(select_command), &error));
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_CONNECTION_FAILED);
	heard_clear(&heard, dfu);
}

static void
test_profile_errors(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("bdfu-sim-XXXXXX", NULL);
	struct {
		const gchar *text;
		const gchar *needles[3];
	} cases[] = {
	    {"[device a]\ncolour=blue\n", {"[device a]", "'colour'", "unknown key"}},
	    {"[device a]\nsoc=nRF9160\n", {"'soc'", "nRF9160", NULL}},
	    {"[device a]\nsdk=11\n", {"'sdk'", "from 12 to 17", NULL}},
	    {"[device a]\naddress=12:34\n", {"'address'", "12:34", NULL}},
	    {"[device a]\nsd-fwid=0x1FFFF\n", {"'sd-fwid'", NULL, NULL}},
	    {"[device a]\nmode=sleeping\n", {"'mode'", "sleeping", NULL}},
	    {"[device a]\nbonded=perhaps\n", {"'bonded'", "perhaps", NULL}},
	    {"[device a]\nmtu=23\nsoc=nrf51422\nmtu=100\n", {"'mtu'", NULL, NULL}},
	    {"[device a]\nfaults=disconnect-at-byte:x\n", {"'faults'", NULL, NULL}},
	    {"[device a]\ncount=0\n", {"'count'", NULL, NULL}},
	    {"[device a]\npublic-key=missing.pem\n", {"'public-key'", "missing.pem", NULL}},
	    {"[gadget a]\n", {"[gadget a]", "unknown group", NULL}},
	    {"[device a]\n[device b]\naddress=C0:DE:5E:ED:00:02\n", {"'a'", "'b'", NULL}},
	    {"# nothing\n", {"no device", NULL, NULL}},
	    {"[device a\n", {"simulation profile", NULL, NULL}},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *name = g_strdup_printf("bad-%u.conf", i);
		g_autofree gchar *path = write_profile(dir, name, cases[i].text);
		g_autoptr(GError) error = NULL;
		g_autoptr(BdfuBackend) backend = bdfu_sim_backend_new(path, FALSE, &error);
		g_assert_null(backend);
		g_assert_error(error, BDFU_ERROR, BDFU_ERROR_INVALID_ARGUMENT);
		g_test_message("%s", error->message);
		g_assert_nonnull(strstr(error->message, path));
		for (guint j = 0; j < G_N_ELEMENTS(cases[i].needles); j++) {
			if (cases[i].needles[j] != NULL &&
			    strstr(error->message, cases[i].needles[j]) == NULL)
				g_error("case %u: '%s' lacks '%s'",
					i,
					error->message,
					cases[i].needles[j]);
		}
		g_unlink(path);
	}
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(BdfuBackend) backend =
		    bdfu_sim_backend_new("/nonexistent/p.conf", FALSE, &error);
		g_assert_null(backend);
		g_assert_error(error, BDFU_ERROR, BDFU_ERROR_INVALID_ARGUMENT);
	}
	g_rmdir(dir);
}

/* count = N makes a fleet from one group */
static void
test_count(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("bdfu-sim-XXXXXX", NULL);
	g_autofree gchar *path =
	    write_profile(dir,
			  "fleet.conf",
			  "[device node]\ncount=3\nsoc=nRF52832\nsd-fwid=0x101\n"
			  "[fleet rack]\ncount=2\nmode=bootloader\n");
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuBackend) backend = bdfu_sim_backend_new(path, FALSE, &error);
	g_autoptr(GPtrArray) devices = NULL;
	g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
	BdfuScanFilter filter = {0};
	const gchar *want[][3] = {
	    {"node-01", "C0:DE:5E:ED:00:01", "app-buttonless"},
	    {"node-02", "C0:DE:5E:ED:01:01", "app-buttonless"},
	    {"node-03", "C0:DE:5E:ED:02:01", "app-buttonless"},
	    {"DfuTarg", "C0:DE:5E:EE:00:02", "dfu"},
	    {"DfuTarg", "C0:DE:5E:EE:01:02", "dfu"},
	};

	g_assert_no_error(error);
	g_assert_cmpuint(bdfu_sim_backend_get_n_devices(BDFU_SIM_BACKEND(backend)), ==, 5);
	devices = scan(backend, &filter, 3000, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(devices->len, ==, 5);
	for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
		gboolean found = FALSE;
		for (guint j = 0; j < devices->len; j++) {
			BdfuDeviceInfo *info = g_ptr_array_index(devices, j);
			if (g_strcmp0(info->address, want[i][1]) != 0)
				continue;
			g_assert_cmpstr(info->name, ==, want[i][0]);
			g_assert_cmpstr(bdfu_device_mode_to_string(info->mode), ==, want[i][2]);
			found = TRUE;
		}
		if (!found)
			g_error("%s at %s not seen", want[i][0], want[i][1]);
	}
	/* strongest first, and stable */
	for (guint j = 1; j < devices->len; j++) {
		BdfuDeviceInfo *a = g_ptr_array_index(devices, j - 1);
		BdfuDeviceInfo *b = g_ptr_array_index(devices, j);
		g_assert_cmpint(a->rssi, >=, b->rssi);
	}
	g_clear_pointer(&devices, g_ptr_array_unref);
	filter.name_glob = "node-0[12]";
	filter.app_only = TRUE;
	devices = scan(backend, &filter, 3000, &error);
	g_assert_cmpuint(devices->len, ==, 2);
	g_unlink(path);
	g_rmdir(dir);
}

/* an hour of virtual time passes without waiting for it */
static void
test_virtual_time(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuBackend) backend = bdfu_sim_backend_new(NULL, FALSE, &error);
	gint64 start = bdfu_backend_get_time_us(backend);
	gboolean hour = FALSE;
	gboolean second = FALSE;
	gboolean removed = FALSE;
	guint id;

	bdfu_backend_timeout_add(backend, 3600 * 1000, timer_done_cb, &hour);
	bdfu_backend_timeout_add(backend, 1000, timer_done_cb, &second);
	id = bdfu_backend_timeout_add(backend, 2000, timer_done_cb, &removed);
	bdfu_backend_timeout_remove(backend, id);
	bdfu_backend_timeout_remove(backend, id);
	while (!second)
		g_main_context_iteration(NULL, TRUE);
	g_assert_false(hour);
	g_assert_cmpint(bdfu_backend_get_time_us(backend) - start, ==, 1000 * 1000);
	while (!hour)
		g_main_context_iteration(NULL, TRUE);
	g_assert_false(removed);
	g_assert_cmpint(bdfu_backend_get_time_us(backend) - start, ==, (gint64)3600 * 1000 * 1000);
}

/* the same world on the real clock: a tiny case */
static void
test_realtime(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuBackend) backend = bdfu_sim_backend_new(NULL, TRUE, &error);
	g_autoptr(GPtrArray) devices = NULL;
	g_autoptr(BdfuConnection) conn = NULL;
	BdfuScanFilter filter = {.stop_at_first = TRUE};
	gboolean fired = FALSE;
	gint64 start = bdfu_backend_get_time_us(backend);

	g_assert_no_error(error);
	bdfu_backend_timeout_add(backend, 20, timer_done_cb, &fired);
	while (!fired)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpint(bdfu_backend_get_time_us(backend), >, start);
	devices = scan(backend, &filter, 5000, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(devices->len, ==, 1);
	conn = connect_to(backend, BDFU_SIM_DEFAULT_ADDRESS, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(bdfu_connection_get_mode(conn), ==, BDFU_DEVICE_MODE_APP_BUTTONLESS);
}

static void
heard_writable_cb(BdfuConnection *conn, gpointer user_data)
{
	(*(guint *)user_data)++;
}

/* Packet writes: back-pressure is FALSE without an error, then "writable" */
static void
test_back_pressure(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("bdfu-sim-XXXXXX", NULL);
	g_autofree gchar *path = write_profile(dir, "dfu.conf", "[device boot]\nmode=bootloader\n");
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuBackend) backend = bdfu_sim_backend_new(path, FALSE, &error);
	g_autoptr(BdfuConnection) conn = NULL;
	g_autoptr(BdfuConnection) second = NULL;
	guint8 packet[20] = {0};
	guint writable = 0;
	guint queued = 0;

	g_assert_no_error(error);
	conn = connect_to(backend, "C0:DE:5E:ED:00:02", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(bdfu_connection_get_mode(conn), ==, BDFU_DEVICE_MODE_DFU);
	/* one central at a time: a connected device does not advertise */
	second = connect_to(backend, "C0:DE:5E:ED:00:02", &error);
	g_assert_null(second);
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_NOT_FOUND);
	g_clear_error(&error);

	g_signal_connect(conn, "writable", G_CALLBACK(heard_writable_cb), &writable);
	while (bdfu_connection_write_data(conn, packet, sizeof(packet), &error))
		queued++;
	g_assert_no_error(error);
	g_assert_cmpuint(queued, >, 0);
	while (writable == 0)
		g_main_context_iteration(NULL, TRUE);
	g_assert_true(bdfu_connection_write_data(conn, packet, sizeof(packet), &error));
	g_assert_no_error(error);
	/* larger than MTU - 3 is refused with a reason */
	{
		g_autofree guint8 *big = g_malloc0(300);
		g_assert_false(bdfu_connection_write_data(conn, big, 300, &error));
		g_assert_error(error, BDFU_ERROR, BDFU_ERROR_INVALID_ARGUMENT);
		g_assert_nonnull(strstr(error->message, "MTU"));
	}
	g_signal_handlers_disconnect_by_data(conn, &writable);
	g_unlink(path);
	g_rmdir(dir);
}

/* a bonded device keeps its address in the bootloader */
static void
test_bonded(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("bdfu-sim-XXXXXX", NULL);
	g_autofree gchar *path = write_profile(
	    dir, "bonded.conf", "[device safe]\nbonded=true\naddress=f0:00:00:00:00:10\n");
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuBackend) backend = bdfu_sim_backend_new(path, FALSE, &error);
	g_autoptr(BdfuConnection) app = NULL;
	g_autoptr(GPtrArray) devices = NULL;
	GAsyncResult *res = NULL;
	BdfuScanFilter filter = {0};
	const guint8 enter[] = {0x01};
	BdfuDeviceInfo *info;
	Heard heard = {0};

	g_assert_no_error(error);
	devices = scan(backend, &filter, 1000, &error);
	g_assert_cmpuint(devices->len, ==, 1);
	info = g_ptr_array_index(devices, 0);
	g_assert_cmpstr(info->address, ==, "F0:00:00:00:00:10");
	g_assert_cmpstr(info->name, ==, "safe");
	g_assert_cmpint(info->mode, ==, BDFU_DEVICE_MODE_APP_BUTTONLESS_BONDED);
	g_assert_true(info->bonded);
	g_clear_pointer(&devices, g_ptr_array_unref);

	app = connect_to(backend, "F0:00:00:00:00:10", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(bdfu_connection_get_mode(app), ==, BDFU_DEVICE_MODE_APP_BUTTONLESS_BONDED);
	heard_listen(&heard, app);
	bdfu_connection_enable_buttonless_async(app, NULL, store_result_cb, &res);
	g_assert_true(finish_bool(app, &res, bdfu_connection_enable_buttonless_finish, &error));
	g_assert_true(write_buttonless(app, enter, sizeof(enter), &error));
	g_assert_no_error(error);
	while (heard.disconnects == 0)
		g_main_context_iteration(NULL, TRUE);
	heard_clear(&heard, app);

	filter.dfu_only = TRUE;
	filter.stop_at_first = TRUE;
	devices = scan(backend, &filter, 10000, &error);
	g_assert_cmpuint(devices->len, ==, 1);
	info = g_ptr_array_index(devices, 0);
	g_assert_cmpstr(info->address, ==, "F0:00:00:00:00:10");
	g_assert_cmpint(info->mode, ==, BDFU_DEVICE_MODE_DFU);
	g_unlink(path);
	g_rmdir(dir);
}

static gboolean
cancel_cb(gpointer user_data)
{
	g_cancellable_cancel(user_data);
	return G_SOURCE_REMOVE;
}

/* a cancelled scan or connect ends with BDFU_ERROR_CANCELLED */
static void
test_cancel(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuBackend) backend = bdfu_sim_backend_new(NULL, FALSE, &error);
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GCancellable) cancelled = g_cancellable_new();
	g_autoptr(GPtrArray) devices = NULL;
	g_autoptr(BdfuConnection) conn = NULL;
	GAsyncResult *res = NULL;
	BdfuScanFilter filter = {.dfu_only = TRUE};

	/* nothing is in DFU mode: only the cancel ends this scan before its hour */
	bdfu_backend_timeout_add(backend, 1000, cancel_cb, cancellable);
	bdfu_backend_scan_async(backend, &filter, 3600 * 1000, cancellable, store_result_cb, &res);
	devices = bdfu_backend_scan_finish(backend, wait_for(&res), &error);
	g_clear_object(&res);
	g_assert_null(devices);
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_CANCELLED);
	g_clear_error(&error);

	g_cancellable_cancel(cancelled);
	bdfu_backend_connect_async(
	    backend, BDFU_SIM_DEFAULT_ADDRESS, cancelled, store_result_cb, &res);
	conn = bdfu_backend_connect_finish(backend, wait_for(&res), &error);
	g_clear_object(&res);
	g_assert_null(conn);
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_CANCELLED);
	g_clear_error(&error);

	/* the device is still there afterwards */
	conn = connect_to(backend, BDFU_SIM_DEFAULT_ADDRESS, &error);
	g_assert_no_error(error);
	g_assert_nonnull(conn);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/default-scan", test_default_scan);
	g_test_add_func("/sim/connect-not-found", test_connect_not_found);
	g_test_add_func("/sim/buttonless-entry", test_buttonless_entry);
	g_test_add_func("/sim/profile-errors", test_profile_errors);
	g_test_add_func("/sim/count", test_count);
	g_test_add_func("/sim/virtual-time", test_virtual_time);
	g_test_add_func("/sim/back-pressure", test_back_pressure);
	g_test_add_func("/sim/bonded", test_bonded);
	g_test_add_func("/sim/cancel", test_cancel);
	g_test_add_func("/sim/realtime", test_realtime);
	return g_test_run();
}
