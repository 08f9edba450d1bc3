/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Does mock-bluez behave like bluetoothd 5.66 as BLUEZ.md documents it? A GDBus client on a
 * private bus checks the error names, the signal orderings and the AcquireWrite socket.
 * Usage: test-mock-bluez MOCK_BLUEZ (meson passes the path). */
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEV "/org/bluez/hci0/dev_C0_DE_5E_ED_00_02"
#define CP DEV "/service0008/char000b"
#define PKT DEV "/service0008/char0009"

static const gchar *mock_path;

static const gchar bus_config[] =
    "<busconfig><type>session</type><listen>unix:dir=%s</listen><auth>EXTERNAL</auth>"
    "<policy context='default'><allow own='org.bluez'/>"
    "<allow send_destination='*' eavesdrop='true'/><allow eavesdrop='true'/>"
    "</policy></busconfig>";

typedef struct {
	GSubprocess *bus;
	gchar *address;
	GDBusConnection *conn;
	GSubprocess *mock;
	gchar *dir;
	gchar *log_path;
	GPtrArray *events; /* "Added PATH", "Removed PATH", "PATH Prop=value", "REPLY Method" */
	gchar *message;	   /* of the last error */
	guint sub;
} Fixture;

static void
on_signal(GDBusConnection *conn,
	  const gchar *sender,
	  const gchar *path,
	  const gchar *iface,
	  const gchar *signal,
	  GVariant *params,
	  gpointer user_data)
{
	Fixture *fx = user_data;
	if (g_strcmp0(signal, "InterfacesAdded") == 0) {
		const gchar *obj;
		g_autoptr(GVariant) ifaces = NULL;
		g_autoptr(GString) text = g_string_new("Added ");
		GVariantIter iter;
		const gchar *name;
		g_variant_get(params, "(&o@a{sa{sv}})", &obj, &ifaces);
		g_string_append(text, obj);
		g_variant_iter_init(&iter, ifaces);
		while (g_variant_iter_next(&iter, "{&s@a{sv}}", &name, NULL))
			g_string_append_printf(text, " %s", name);
		g_ptr_array_add(fx->events, g_string_free(g_steal_pointer(&text), FALSE));
	} else if (g_strcmp0(signal, "InterfacesRemoved") == 0) {
		const gchar *obj;
		g_variant_get(params, "(&o@as)", &obj, NULL);
		g_ptr_array_add(fx->events, g_strdup_printf("Removed %s;", obj));
	} else if (g_strcmp0(signal, "PropertiesChanged") == 0) {
		g_autoptr(GVariant) changed = g_variant_get_child_value(params, 1);
		g_autofree const gchar **invalidated = NULL;
		GVariantIter iter;
		const gchar *name;
		GVariant *value;
		g_variant_get_child(params, 2, "^a&s", &invalidated);
		g_variant_iter_init(&iter, changed);
		while (g_variant_iter_next(&iter, "{&sv}", &name, &value)) {
			g_autofree gchar *text = g_variant_print(value, FALSE);
			g_ptr_array_add(fx->events, g_strdup_printf("%s %s=%s", path, name, text));
			g_variant_unref(value);
		}
		for (guint i = 0; invalidated[i] != NULL; i++)
			g_ptr_array_add(fx->events,
					g_strdup_printf("%s %s invalidated", path, invalidated[i]));
	}
}

/* index of the first event containing `needle` at or after `from`, -1 if none */
static gint
find_event(Fixture *fx, const gchar *needle, guint from)
{
	for (guint i = from; i < fx->events->len; i++)
		if (strstr(g_ptr_array_index(fx->events, i), needle) != NULL)
			return (gint)i;
	return -1;
}

static gint
wait_event(Fixture *fx, const gchar *needle, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	gint index;
	while ((index = find_event(fx, needle, 0)) < 0 && g_get_monotonic_time() < deadline) {
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(1000);
	}
	return index;
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	const gchar *device_keys = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *config = NULL;
	g_autofree gchar *config_path = NULL;
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GDataInputStream) out = NULL;
	g_autofree gchar *line = NULL;

	fx->dir = g_dir_make_tmp("mock-bluez-XXXXXX", &error);
	g_assert_no_error(error);
	fx->log_path = g_build_filename(fx->dir, "calls.log", NULL);
	config_path = g_build_filename(fx->dir, "mock.conf", NULL);
	config =
	    g_strdup_printf("[bluez]\nrestart-ms=300\n[device dev]\naddress=C0:DE:5E:ED:00:01\n"
			    "disconnect-ms=50\n%s\n",
			    device_keys);
	g_assert_true(g_file_set_contents(config_path, config, -1, NULL));

	{
		g_autofree gchar *bus_conf = g_build_filename(fx->dir, "bus.conf", NULL);
		g_autofree gchar *bus_text = g_strdup_printf(bus_config, fx->dir);
		g_autofree gchar *arg = g_strdup_printf("--config-file=%s", bus_conf);
		g_autoptr(GDataInputStream) bus_out = NULL;
		g_assert_true(g_file_set_contents(bus_conf, bus_text, -1, NULL));
		fx->bus = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE,
					   &error,
					   "dbus-daemon",
					   arg,
					   "--nofork",
					   "--print-address=1",
					   NULL);
		g_assert_no_error(error);
		bus_out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(fx->bus));
		fx->address = g_data_input_stream_read_line(bus_out, NULL, NULL, &error);
		g_assert_no_error(error);
		g_assert_nonnull(fx->address);
	}
	fx->conn = g_dbus_connection_new_for_address_sync(
	    fx->address,
	    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
	    NULL,
	    NULL,
	    &error);
	g_assert_no_error(error);
	fx->events = g_ptr_array_new_with_free_func(g_free);
	fx->sub = g_dbus_connection_signal_subscribe(
	    fx->conn, NULL, NULL, NULL, NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_signal, fx, NULL);

	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
	g_subprocess_launcher_setenv(launcher, "DBUS_SYSTEM_BUS_ADDRESS", fx->address, TRUE);
	fx->mock = g_subprocess_launcher_spawn(
	    launcher, &error, mock_path, "--config", config_path, "--log", fx->log_path, NULL);
	g_assert_no_error(error);
	out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(fx->mock));
	line = g_data_input_stream_read_line(out, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(line, ==, "READY");
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_subprocess_send_signal(fx->mock, SIGTERM);
	g_subprocess_wait(fx->mock, NULL, NULL);
	g_assert_true(g_subprocess_get_if_exited(fx->mock));
	g_assert_cmpint(g_subprocess_get_exit_status(fx->mock), ==, 0);
	g_dbus_connection_signal_unsubscribe(fx->conn, fx->sub);
	g_object_unref(fx->mock);
	g_dbus_connection_close_sync(fx->conn, NULL, NULL);
	g_object_unref(fx->conn);
	g_subprocess_send_signal(fx->bus, SIGTERM);
	g_subprocess_wait(fx->bus, NULL, NULL);
	g_object_unref(fx->bus);
	g_free(fx->address);
	g_ptr_array_unref(fx->events);
	g_free(fx->log_path);
	g_free(fx->message);
	g_free(fx->dir);
}

/* a call; returns the D-Bus error name (NULL on success) and the message in *message */
static gchar *
call(Fixture *fx,
     const gchar *path,
     const gchar *iface,
     const gchar *method,
     GVariant *params,
     GVariant **reply,
     gchar **message)
{
	g_autoptr(GError) error = NULL;
	GVariant *result = g_dbus_connection_call_sync(fx->conn,
						       "org.bluez",
						       path,
						       iface,
						       method,
						       params,
						       NULL,
						       G_DBUS_CALL_FLAGS_NONE,
						       10000,
						       NULL,
						       &error);
	if (result == NULL) {
		gchar *name = g_dbus_error_get_remote_error(error);
		g_dbus_error_strip_remote_error(error);
		g_free(fx->message);
		fx->message = g_strdup(error->message);
		return name;
	}
	if (reply != NULL)
		*reply = result;
	else
		g_variant_unref(result);
	return NULL;
}

#define ADAPTER "/org/bluez/hci0", "org.bluez.Adapter1"
#define DEVICE1 "org.bluez.Device1"
#define CHAR1 "org.bluez.GattCharacteristic1"

static void
assert_error(Fixture *fx, gchar *name, const gchar *want_name, const gchar *want_message)
{
	g_assert_cmpstr(name, ==, want_name);
	if (want_message != NULL)
		g_assert_cmpstr(fx->message, ==, want_message);
	g_free(name);
}

static GVariant *
filter(const gchar *key, GVariant *value)
{
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", key, value);
	return g_variant_new("(a{sv})", &b);
}

/* §1.3, §1.4: argument checks and session errors of the adapter */
static void
test_discovery(Fixture *fx, gconstpointer data)
{
	assert_error(fx,
		     call(fx,
			  ADAPTER,
			  "SetDiscoveryFilter",
			  filter("RSSI", g_variant_new_int32(-60)),
			  NULL,
			  NULL),
		     "org.bluez.Error.InvalidArguments",
		     "Invalid arguments in method call");
	assert_error(fx,
		     call(fx,
			  ADAPTER,
			  "SetDiscoveryFilter",
			  filter("Colour", g_variant_new_string("x")),
			  NULL,
			  NULL),
		     "org.bluez.Error.InvalidArguments",
		     NULL);
	assert_error(fx,
		     call(fx,
			  ADAPTER,
			  "SetDiscoveryFilter",
			  filter("Transport", g_variant_new_string("usb")),
			  NULL,
			  NULL),
		     "org.bluez.Error.InvalidArguments",
		     NULL);
	g_assert_null(call(fx,
			   ADAPTER,
			   "SetDiscoveryFilter",
			   filter("Pattern", g_variant_new_string("C0:DE:5E:ED:00")),
			   NULL,
			   NULL));
	assert_error(fx,
		     call(fx, ADAPTER, "StopDiscovery", NULL, NULL, NULL),
		     "org.bluez.Error.Failed",
		     "No discovery started");
	g_assert_null(call(fx, ADAPTER, "StartDiscovery", NULL, NULL, NULL));
	assert_error(fx,
		     call(fx, ADAPTER, "StartDiscovery", NULL, NULL, NULL),
		     "org.bluez.Error.InProgress",
		     "Operation already in progress");
	/* the bootloader (mode=bootloader) at address+1, listed with the standard interfaces */
	g_assert_cmpint(wait_event(fx, "Added " DEV " ", 3000), >=, 0);
	g_assert_nonnull(strstr(g_ptr_array_index(fx->events, find_event(fx, "Added " DEV " ", 0)),
				"org.freedesktop.DBus.Properties"));
	g_assert_null(call(fx, ADAPTER, "StopDiscovery", NULL, NULL, NULL));
	g_assert_cmpint(wait_event(fx, DEV " RSSI invalidated", 2000), >=, 0);
}

static void
connect_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Fixture *fx = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
	g_assert_no_error(error);
	/* replies and signals are dispatched in the order they arrived */
	g_ptr_array_add(fx->events, g_strdup("REPLY Connect"));
}

static void
discover_and_connect(Fixture *fx)
{
	g_assert_null(call(fx, ADAPTER, "StartDiscovery", NULL, NULL, NULL));
	g_assert_cmpint(wait_event(fx, "Added " DEV " ", 3000), >=, 0);
	g_assert_null(call(fx, ADAPTER, "StopDiscovery", NULL, NULL, NULL));
	g_dbus_connection_call(fx->conn,
			       "org.bluez",
			       DEV,
			       DEVICE1,
			       "Connect",
			       NULL,
			       NULL,
			       G_DBUS_CALL_FLAGS_NONE,
			       10000,
			       NULL,
			       connect_done,
			       fx);
	g_assert_cmpint(wait_event(fx, "REPLY Connect", 3000), >=, 0);
	g_assert_cmpint(wait_event(fx, DEV " ServicesResolved=true", 3000), >=, 0);
}

/* §2.1, §2.2: Connect returns before the GATT objects and ServicesResolved */
static void
test_connect_order(Fixture *fx, gconstpointer data)
{
	gint connected, reply, added, resolved, mtu;
	discover_and_connect(fx);
	connected = find_event(fx, DEV " Connected=true", 0);
	reply = find_event(fx, "REPLY Connect", 0);
	added = find_event(fx, "Added " CP, 0);
	resolved = find_event(fx, DEV " ServicesResolved=true", 0);
	mtu = find_event(fx, "Added " PKT, 0);
	g_assert_cmpint(connected, >=, 0);
	g_assert_cmpint(connected, <, reply);
	g_assert_cmpint(reply, <, added);
	g_assert_cmpint(mtu, <, added); /* Packet is added before the Control Point */
	g_assert_cmpint(added, <, resolved);
}

static GVariant *
write_args(gsize len, const gchar *key, GVariant *value)
{
	g_autofree guint8 *buf = g_malloc0(len);
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	if (key != NULL)
		g_variant_builder_add(&b, "{sv}", key, value);
	return g_variant_new(
	    "(@aya{sv})", g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, buf, len, 1), &b);
}

static gboolean
log_contains(Fixture *fx, const gchar *needle)
{
	g_autofree gchar *text = NULL;
	g_assert_true(g_file_get_contents(fx->log_path, &text, NULL, NULL));
	return strstr(text, needle) != NULL;
}

/* §3.2, §3.3, §3.5, §2.6: GATT errors, the AcquireWrite socket, the disconnect sequence */
static void
test_gatt(Fixture *fx, gconstpointer data)
{
	GVariant *reply = NULL;
	g_autoptr(GUnixFDList) fds = NULL;
	g_autoptr(GError) error = NULL;
	guint8 big[300] = {0};
	guint8 ok[244] = {0};
	gint32 handle;
	guint16 mtu;
	gint fd;
	gint sr_false, c_false;

	discover_and_connect(fx);
	/* the bootloader answers a CP write without notifications with ATT 0xFD */
	assert_error(fx,
		     call(fx,
			  CP,
			  CHAR1,
			  "WriteValue",
			  write_args(1, "type", g_variant_new_string("request")),
			  NULL,
			  NULL),
		     "org.bluez.Error.Failed",
		     "Operation failed with ATT error: 0xfd");
	assert_error(fx,
		     call(fx,
			  CP,
			  CHAR1,
			  "WriteValue",
			  write_args(1, "offset", g_variant_new_uint32(0)),
			  NULL,
			  NULL),
		     "org.bluez.Error.InvalidArguments",
		     NULL);
	assert_error(fx,
		     call(fx,
			  PKT,
			  CHAR1,
			  "WriteValue",
			  write_args(245, "type", g_variant_new_string("command")),
			  NULL,
			  NULL),
		     "org.bluez.Error.Failed",
		     "Failed to initiate write");
	assert_error(fx,
		     call(fx,
			  CP,
			  CHAR1,
			  "WriteValue",
			  write_args(1, "type", g_variant_new_string("sideways")),
			  NULL,
			  NULL),
		     "org.bluez.Error.NotSupported",
		     NULL);
	assert_error(fx,
		     call(fx, PKT, CHAR1, "StartNotify", NULL, NULL, NULL),
		     "org.bluez.Error.NotSupported",
		     NULL);
	assert_error(fx,
		     call(fx, CP, CHAR1, "StopNotify", NULL, NULL, NULL),
		     "org.bluez.Error.Failed",
		     "No notify session started");
	g_assert_null(call(fx, CP, CHAR1, "StartNotify", NULL, NULL, NULL));

	reply = g_dbus_connection_call_with_unix_fd_list_sync(fx->conn,
							      "org.bluez",
							      PKT,
							      CHAR1,
							      "AcquireWrite",
							      g_variant_new("(a{sv})", NULL),
							      G_VARIANT_TYPE("(hq)"),
							      G_DBUS_CALL_FLAGS_NONE,
							      10000,
							      NULL,
							      &fds,
							      NULL,
							      &error);
	g_assert_no_error(error);
	g_variant_get(reply, "(hq)", &handle, &mtu);
	g_variant_unref(reply);
	g_assert_cmpuint(mtu, ==, 247);
	fd = g_unix_fd_list_get(fds, handle, &error);
	g_assert_no_error(error);
	assert_error(
	    fx,
	    call(fx, PKT, CHAR1, "AcquireWrite", g_variant_new("(a{sv})", NULL), NULL, NULL),
	    "org.bluez.Error.NotPermitted",
	    "Write acquired");
	assert_error(fx,
		     call(fx,
			  PKT,
			  CHAR1,
			  "WriteValue",
			  write_args(4, "type", g_variant_new_string("command")),
			  NULL,
			  NULL),
		     "org.bluez.Error.NotPermitted",
		     "Write acquired");
	/* one datagram per write; longer than MTU-3 is dropped without a word */
	g_assert_cmpint(send(fd, big, sizeof(big), 0), ==, sizeof(big));
	g_assert_cmpint(send(fd, ok, sizeof(ok), 0), ==, sizeof(ok));
	for (guint i = 0; i < 200 && !log_contains(fx, "len=244"); i++)
		g_usleep(5000);
	g_assert_true(log_contains(fx, "len=300 dropped=oversize mtu=247"));
	g_assert_true(log_contains(fx, "Datagram " PKT " len=244\n"));

	/* Disconnect: ServicesResolved=false, then Connected=false, then the reply; the fd ends */
	g_assert_null(call(fx, DEV, DEVICE1, "Disconnect", NULL, NULL, NULL));
	sr_false = wait_event(fx, DEV " ServicesResolved=false", 1000);
	c_false = wait_event(fx, DEV " Connected=false", 1000);
	g_assert_cmpint(sr_false, >=, 0);
	g_assert_cmpint(sr_false, <, c_false);
	g_assert_cmpint(wait_event(fx, CP " MTU invalidated", 1000), >=, 0);
	g_assert_cmpint(recv(fd, big, sizeof(big), 0), ==, 0);
	close(fd);
	/* the objects stay (Cache=always), calls on them fail */
	g_assert_cmpint(find_event(fx, "Removed " CP ";", 0), <, 0);
	assert_error(fx,
		     call(fx,
			  CP,
			  CHAR1,
			  "WriteValue",
			  write_args(1, "type", g_variant_new_string("request")),
			  NULL,
			  NULL),
		     "org.bluez.Error.Failed",
		     "Not connected");
	/* RemoveDevice takes the tree away; calls on a vanished path get UnknownObject */
	g_assert_null(call(fx, ADAPTER, "RemoveDevice", g_variant_new("(o)", DEV), NULL, NULL));
	g_assert_cmpint(wait_event(fx, "Removed " DEV ";", 1000), >=, 0);
	g_assert_cmpint(
	    find_event(fx, "Removed " CP ";", 0), <, find_event(fx, "Removed " DEV ";", 0));
	assert_error(fx,
		     call(fx, CP, CHAR1, "StartNotify", NULL, NULL, NULL),
		     "org.freedesktop.DBus.Error.UnknownObject",
		     NULL);
	assert_error(fx,
		     call(fx, ADAPTER, "RemoveDevice", g_variant_new("(o)", DEV), NULL, NULL),
		     "org.bluez.Error.DoesNotExist",
		     NULL);
}

/* §2.1: the link comes up, then le-connection-abort-by-local; then it works */
static void
test_connect_abort(Fixture *fx, gconstpointer data)
{
	g_assert_null(call(fx, ADAPTER, "StartDiscovery", NULL, NULL, NULL));
	g_assert_cmpint(wait_event(fx, "Added " DEV " ", 3000), >=, 0);
	assert_error(fx,
		     call(fx, DEV, DEVICE1, "Connect", NULL, NULL, NULL),
		     "org.bluez.Error.Failed",
		     "le-connection-abort-by-local");
	g_assert_cmpint(wait_event(fx, DEV " Connected=true", 1000), >=, 0);
	g_assert_cmpint(wait_event(fx, DEV " Connected=false", 1000), >=, 0);
	g_assert_null(call(fx, DEV, DEVICE1, "Connect", NULL, NULL, NULL));
}

/* §2.1 (4): a stale LE connect attempt; Disconnect cancels it */
static void
test_in_progress(Fixture *fx, gconstpointer data)
{
	g_assert_null(call(fx, ADAPTER, "StartDiscovery", NULL, NULL, NULL));
	g_assert_cmpint(wait_event(fx, "Added " DEV " ", 3000), >=, 0);
	assert_error(fx,
		     call(fx, DEV, DEVICE1, "Connect", NULL, NULL, NULL),
		     "org.bluez.Error.Failed",
		     "Operation already in progress");
	assert_error(fx,
		     call(fx, DEV, DEVICE1, "Connect", NULL, NULL, NULL),
		     "org.bluez.Error.Failed",
		     "Operation already in progress");
	g_assert_null(call(fx, DEV, DEVICE1, "Disconnect", NULL, NULL, NULL));
	g_assert_null(call(fx, DEV, DEVICE1, "Connect", NULL, NULL, NULL));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	if (argc < 2) {
		g_printerr("usage: %s MOCK_BLUEZ\n", argv[0]);
		return 2;
	}
	mock_path = argv[1];
	g_test_add("/mock-bluez/discovery",
		   Fixture,
		   "mode=bootloader",
		   fixture_setup,
		   test_discovery,
		   fixture_teardown);
	g_test_add("/mock-bluez/connect-order",
		   Fixture,
		   "mode=bootloader",
		   fixture_setup,
		   test_connect_order,
		   fixture_teardown);
	g_test_add("/mock-bluez/gatt",
		   Fixture,
		   "mode=bootloader",
		   fixture_setup,
		   test_gatt,
		   fixture_teardown);
	g_test_add("/mock-bluez/connect-abort",
		   Fixture,
		   "mode=bootloader\nconnect-abort=1",
		   fixture_setup,
		   test_connect_abort,
		   fixture_teardown);
	g_test_add("/mock-bluez/in-progress",
		   Fixture,
		   "mode=bootloader\nconnect-in-progress=1",
		   fixture_setup,
		   test_in_progress,
		   fixture_teardown);
	return g_test_run();
}
