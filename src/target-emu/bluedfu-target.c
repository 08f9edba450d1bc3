/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bluedfu-target: a Linux Bluetooth adapter poses as an nRF5 device, its application with the
 * buttonless service or its Secure DFU bootloader, through BlueZ (GattManager1 and
 * LEAdvertisingManager1). The device is the BdfuTarget model on real monotonic time, described
 * by the same profile keys as the simulated backend. See bluedfu-target(1). */
#include "target-emu/bdfu-emu.h"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "bluedfu/bdfu-error.h"
#include "core/bdfu-proto.h"

#define BDFU_EMU_BLUEZ "org.bluez"
#define BDFU_EMU_DEVICE_IFACE "org.bluez.Device1"
#define BDFU_EMU_CALL_MS 25000

typedef struct {
	BdfuEmuRole role;
	guint8 *buf;
	gsize len;
} BdfuEmuValue;

struct _BdfuEmu {
	GMainLoop *loop;
	GDBusConnection *bus;
	gchar *adapter_path;
	guint16 index;
	GPtrArray *devices; /* BdfuSimDevice from the profile */
	BdfuSimDevice *dev;
	BdfuTarget *target;
	gint64 t0;
	gboolean same_address;
	gboolean verbose;
	gboolean acquire_write;
	guint readvertise_id;
	guint announced_gen; /* the registration whose advertisement was announced */
	gint exit_code;

	/* what bluetoothd has now, and the transition towards the model's mode */
	BdfuEmuApp *app;
	BdfuTargetMode exported; /* RESETTING = nothing exported */
	gboolean app_registered, adv_registered;
	gboolean busy;
	guint gen;
	guint64 address_now; /* the static address set, 0 = the controller's own */

	gchar *peer;	 /* object path of the connected central on our adapter */
	gchar *dropping; /* a central we disconnected: its writes still in flight are not taken */
	guint16 mtu;	 /* ATT MTU told to the model */
	gboolean drop_peer; /* the model dropped the link: disconnect the central */
	GQueue values;	    /* BdfuEmuValue to notify/indicate once the write reply is out */
	guint flush_id;
	guint timer_id;
	guint signal_id;

	/* faults */
	guint8 object_type; /* of the last Create: 1 command, 2 data */
	guint64 fw_bytes;   /* firmware bytes received (data objects) */
	gint64 data_first;  /* monotonic time of the first and last data Packet write */
	gint64 data_last;
	guint64 data_bytes; /* since the device entered DFU mode */
	gsize data_largest; /* the longest data Packet write */
	guint packets;
	guint notifications;
};

static void
bdfu_emu_sync(BdfuEmu *emu);
static void
bdfu_emu_rearm(BdfuEmu *emu);

static void
bdfu_emu_say(BdfuEmu *emu, const gchar *format, ...) G_GNUC_PRINTF(2, 3);

static void
bdfu_emu_say(BdfuEmu *emu, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *text = NULL;
	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	printf("[%8.3f] %s\n", (g_get_monotonic_time() - emu->t0) / 1e6, text);
	fflush(stdout);
}

GDBusConnection *
bdfu_emu_bus(BdfuEmu *emu)
{
	return emu->bus;
}

const gchar *
bdfu_emu_adv_name(BdfuEmu *emu)
{
	const gchar *name = bdfu_target_get_adv_name(emu->target);
	return name != NULL ? name : "";
}

gboolean
bdfu_emu_server_acquire_write(BdfuEmu *emu)
{
	return emu->acquire_write;
}

gboolean
bdfu_emu_is_bonded(BdfuEmu *emu)
{
	return bdfu_target_is_bonded(emu->target);
}

gchar *
bdfu_emu_fw_revision(BdfuEmu *emu)
{
	/* what the simulated backend reports, so that scripts see the same in both */
	return g_strdup_printf("app v%u", bdfu_target_get_app_version(emu->target));
}

static const gchar *
bdfu_emu_mode_name(BdfuTargetMode mode)
{
	switch (mode) {
	case BDFU_TARGET_MODE_APP:
		return "application";
	case BDFU_TARGET_MODE_DFU:
		return "DFU";
	case BDFU_TARGET_MODE_RESETTING:
		return "resetting";
	default:
		return "silent";
	}
}

static void
bdfu_emu_address_text(guint64 address, gchar out[18])
{
	bdfu_sim_address_to_string(address, out);
}

/* model time -------------------------------------------------------------------------------- */

static void
bdfu_emu_advance(BdfuEmu *emu)
{
	bdfu_target_advance(emu->target, (guint64)(g_get_monotonic_time() - emu->t0));
}

static gboolean
bdfu_emu_timer_cb(gpointer user_data)
{
	BdfuEmu *emu = user_data;
	emu->timer_id = 0;
	bdfu_emu_advance(emu);
	bdfu_emu_flush_soon(emu);
	return G_SOURCE_REMOVE;
}

static void
bdfu_emu_rearm(BdfuEmu *emu)
{
	guint64 next = bdfu_target_next_event_us(emu->target);
	guint64 now = (guint64)(g_get_monotonic_time() - emu->t0);
	guint ms;

	g_clear_handle_id(&emu->timer_id, g_source_remove);
	if (next == G_MAXUINT64)
		return;
	ms = next <= now ? 0 : (guint)MIN((next - now + 999) / 1000, 60000);
	emu->timer_id = g_timeout_add(ms, bdfu_emu_timer_cb, emu);
}

/* model callbacks: queue, act after the current D-Bus reply ------------------------------------ */

static void
bdfu_emu_queue_value(BdfuEmu *emu, BdfuEmuRole role, const guint8 *buf, gsize len)
{
	BdfuEmuValue *v = g_new0(BdfuEmuValue, 1);
	v->role = role;
	v->buf = g_memdup2(buf, len);
	v->len = len;
	g_queue_push_tail(&emu->values, v);
}

static gboolean
bdfu_emu_fault_fires(BdfuEmu *emu, BdfuFaultKind kind, guint64 at)
{
	for (guint i = 0; i < emu->dev->n_faults; i++) {
		BdfuFault *f = &emu->dev->faults[i];
		if (f->kind != kind || f->fired)
			continue;
		if (kind == BDFU_FAULT_DISCONNECT_AT_INIT || at >= f->value) {
			if (kind != BDFU_FAULT_DISCONNECT_AT_BYTE &&
			    kind != BDFU_FAULT_DISCONNECT_AT_INIT && at != f->value)
				continue;
			f->fired = TRUE;
			return TRUE;
		}
	}
	return FALSE;
}

static void
bdfu_emu_cb_notify(gpointer user_data, const guint8 *buf, gsize len)
{
	BdfuEmu *emu = user_data;
	emu->notifications++;
	if (bdfu_emu_fault_fires(emu, BDFU_FAULT_LOSE_NOTIFICATION, emu->notifications)) {
		bdfu_emu_say(emu, "fault: notification %u lost", emu->notifications);
		return;
	}
	bdfu_emu_queue_value(emu, BDFU_EMU_ROLE_CP, buf, len);
}

static void
bdfu_emu_cb_indicate(gpointer user_data, const guint8 *buf, gsize len)
{
	bdfu_emu_queue_value(user_data, BDFU_EMU_ROLE_BUTTONLESS, buf, len);
}

static void
bdfu_emu_cb_disconnected(gpointer user_data, guint8 reason)
{
	BdfuEmu *emu = user_data;
	bdfu_emu_say(emu, "the device drops the link (reason 0x%02X)", reason);
	emu->drop_peer = TRUE;
}

static void
bdfu_emu_cb_mode_changed(gpointer user_data, BdfuTargetMode mode, const gchar *reason)
{
	BdfuEmu *emu = user_data;

	/* what a DFU client achieved, as the device saw it: for scripts and benchmarks */
	if (mode == BDFU_TARGET_MODE_RESETTING && emu->data_bytes > 0) {
		gdouble s = MAX(emu->data_last - emu->data_first, 1) / 1e6;
		bdfu_emu_say(
		    emu,
		    "data phase: %" G_GUINT64_FORMAT
		    " firmware bytes in %.3f s, %.0f B/s, Packet writes of up to %" G_GSIZE_FORMAT
		    " bytes",
		    emu->data_bytes,
		    s,
		    emu->data_bytes / s,
		    emu->data_largest);
		emu->data_bytes = 0;
		emu->data_largest = 0;
	}
	bdfu_emu_say(emu, "mode: %s (%s)", bdfu_emu_mode_name(mode), reason);
}

static void
bdfu_emu_cb_log(gpointer user_data, const gchar *message)
{
	BdfuEmu *emu = user_data;
	if (emu->verbose)
		bdfu_emu_say(emu, "device: %s", message);
}

static const BdfuTargetCallbacks bdfu_emu_callbacks = {
    .notify = bdfu_emu_cb_notify,
    .indicate = bdfu_emu_cb_indicate,
    .disconnected = bdfu_emu_cb_disconnected,
    .mode_changed = bdfu_emu_cb_mode_changed,
    .log = bdfu_emu_cb_log,
};

/* the central -----------------------------------------------------------------------------------
 */

static void
bdfu_emu_peer_gone(BdfuEmu *emu, const gchar *why)
{
	if (emu->peer == NULL)
		return;
	bdfu_emu_say(emu, "disconnected: %s", why);
	g_clear_pointer(&emu->peer, g_free);
	emu->mtu = 0;
	bdfu_emu_advance(emu);
	bdfu_target_disconnect(emu->target);
	bdfu_emu_flush_soon(emu);
}

/* FALSE when the operation comes from a link the device already dropped */
static gboolean
bdfu_emu_peer_seen(BdfuEmu *emu, const gchar *device, guint16 mtu)
{
	bdfu_emu_advance(emu);
	if (device != NULL && g_strcmp0(device, emu->dropping) == 0)
		return FALSE;
	if (emu->peer == NULL && device != NULL) {
		emu->peer = g_strdup(device);
		if (!bdfu_target_connect(emu->target)) {
			bdfu_emu_say(emu,
				     "a central connected while the device is %s: dropping it",
				     bdfu_emu_mode_name(bdfu_target_get_mode(emu->target)));
			emu->drop_peer = TRUE;
		} else {
			bdfu_emu_say(emu, "connected: %s", device);
		}
	}
	if (mtu != 0 && mtu != emu->mtu && bdfu_target_is_connected(emu->target)) {
		guint16 granted = bdfu_target_exchange_mtu(emu->target, mtu);
		emu->mtu = mtu;
		bdfu_emu_say(emu, "ATT MTU %u", mtu);
		if (granted != mtu)
			bdfu_emu_say(
			    emu,
			    "warning: the link's ATT MTU %u is not the %u this device grants; "
			    "set bluetoothd's [GATT] ExchangeMTU = %u (BlueZ 5.66 refuses 23: cap "
			    "the client's MTU instead)",
			    mtu,
			    granted,
			    granted);
	}
	return TRUE;
}

static void
bdfu_emu_device_changed(BdfuEmu *emu, const gchar *path, GVariant *props)
{
	gboolean connected = FALSE;
	if (!g_variant_lookup(props, "Connected", "b", &connected))
		return;
	/* the dropped link is really gone, or it is a new one */
	if (g_strcmp0(path, emu->dropping) == 0)
		g_clear_pointer(&emu->dropping, g_free);
	if (connected)
		bdfu_emu_peer_seen(emu, path, 0);
	else if (g_strcmp0(path, emu->peer) == 0)
		bdfu_emu_peer_gone(emu, "the central left");
}

static void
bdfu_emu_bluez_signal(GDBusConnection *bus,
		      const gchar *sender,
		      const gchar *path,
		      const gchar *iface,
		      const gchar *signal,
		      GVariant *params,
		      gpointer user_data)
{
	BdfuEmu *emu = user_data;

	if (g_strcmp0(signal, "PropertiesChanged") == 0) {
		const gchar *changed_iface = NULL;
		g_autoptr(GVariant) props = NULL;
		g_variant_get(params, "(&s@a{sv}@as)", &changed_iface, &props, NULL);
		if (g_strcmp0(changed_iface, BDFU_EMU_DEVICE_IFACE) == 0 &&
		    g_str_has_prefix(path, emu->adapter_path))
			bdfu_emu_device_changed(emu, path, props);
	} else if (g_strcmp0(signal, "InterfacesAdded") == 0) {
		const gchar *obj = NULL;
		g_autoptr(GVariant) ifaces = NULL;
		g_autoptr(GVariant) props = NULL;
		g_variant_get(params, "(&o@a{sa{sv}})", &obj, &ifaces);
		props = g_variant_lookup_value(ifaces, BDFU_EMU_DEVICE_IFACE, NULL);
		if (props != NULL && g_str_has_prefix(obj, emu->adapter_path))
			bdfu_emu_device_changed(emu, obj, props);
	} else if (g_strcmp0(signal, "InterfacesRemoved") == 0) {
		const gchar *obj = NULL;
		g_variant_get(params, "(&o@as)", &obj, NULL);
		if (g_strcmp0(obj, emu->peer) == 0)
			bdfu_emu_peer_gone(emu, "the central's object went away");
	}
	bdfu_emu_flush_soon(emu);
}

/* GATT operations from bluetoothd ------------------------------------------------------------- */

static guint8
bdfu_emu_write_packet(BdfuEmu *emu, const guint8 *buf, gsize len)
{
	g_autofree guint8 *copy = NULL;

	emu->packets++;
	if (emu->object_type == BDFU_OBJ_COMMAND &&
	    bdfu_emu_fault_fires(emu, BDFU_FAULT_DISCONNECT_AT_INIT, 0)) {
		bdfu_emu_say(emu, "fault: disconnect-at-init, dropping the link");
		emu->drop_peer = TRUE;
		bdfu_target_disconnect(emu->target);
		return 0;
	}
	if (bdfu_emu_fault_fires(emu, BDFU_FAULT_DROP_PACKET, emu->packets)) {
		bdfu_emu_say(emu, "fault: Packet write %u lost", emu->packets);
		return 0;
	}
	if (emu->object_type == BDFU_OBJ_DATA) {
		for (guint i = 0; i < emu->dev->n_faults; i++) {
			BdfuFault *f = &emu->dev->faults[i];
			if (f->kind == BDFU_FAULT_CORRUPT_BYTE && !f->fired &&
			    f->value >= emu->fw_bytes && f->value < emu->fw_bytes + len) {
				f->fired = TRUE;
				copy = g_memdup2(buf, len);
				copy[f->value - emu->fw_bytes] ^= 0xFF;
				buf = copy;
				bdfu_emu_say(emu,
					     "fault: firmware byte %" G_GUINT64_FORMAT " flipped",
					     f->value);
			}
		}
		emu->fw_bytes += len;
		emu->data_last = g_get_monotonic_time();
		if (emu->data_bytes == 0)
			emu->data_first = emu->data_last;
		emu->data_bytes += len;
		emu->data_largest = MAX(emu->data_largest, len);
	}
	if (!bdfu_target_write_packet(emu->target, buf, len) && emu->verbose)
		bdfu_emu_say(emu, "Packet write of %" G_GSIZE_FORMAT " bytes not taken", len);
	if (emu->object_type == BDFU_OBJ_DATA &&
	    bdfu_emu_fault_fires(emu, BDFU_FAULT_DISCONNECT_AT_BYTE, emu->fw_bytes)) {
		bdfu_emu_say(emu,
			     "fault: disconnect-at-byte, dropping the link at firmware byte "
			     "%" G_GUINT64_FORMAT,
			     emu->fw_bytes);
		emu->drop_peer = TRUE;
		bdfu_target_disconnect(emu->target);
	}
	return 0;
}

guint8
bdfu_emu_gatt_write(BdfuEmu *emu,
		    BdfuEmuRole role,
		    const gchar *device,
		    guint16 mtu,
		    const guint8 *buf,
		    gsize len)
{
	guint8 status;

	if (!bdfu_emu_peer_seen(emu, device, mtu))
		return role == BDFU_EMU_ROLE_PACKET ? 0 : 0x0E;
	switch (role) {
	case BDFU_EMU_ROLE_CP:
		if (len >= 2 && buf[0] == BDFU_OP_CREATE)
			emu->object_type = buf[1];
		if (len >= 2 && buf[0] == BDFU_OP_SELECT)
			emu->object_type = buf[1];
		status = bdfu_target_write_cp(emu->target, buf, len);
		break;
	case BDFU_EMU_ROLE_PACKET:
		/* Write Command: no status goes back */
		if (bdfu_target_is_connected(emu->target))
			bdfu_emu_write_packet(emu, buf, len);
		status = 0;
		break;
	case BDFU_EMU_ROLE_BUTTONLESS:
		status = bdfu_target_write_buttonless(emu->target, buf, len);
		break;
	default:
		status = 0x03;
		break;
	}
	return status;
}

void
bdfu_emu_gatt_subscribe(BdfuEmu *emu, BdfuEmuRole role, const gchar *device, gboolean on)
{
	/* StartNotify carries no device: the central is the one connected */
	bdfu_emu_advance(emu);
	if (role == BDFU_EMU_ROLE_CP)
		bdfu_target_set_cp_notify(emu->target, on);
	else if (role == BDFU_EMU_ROLE_BUTTONLESS)
		bdfu_target_set_buttonless_indicate(emu->target, on);
}

void
bdfu_emu_gatt_confirm(BdfuEmu *emu, BdfuEmuRole role)
{
	bdfu_emu_advance(emu);
	if (role == BDFU_EMU_ROLE_BUTTONLESS)
		bdfu_target_confirm_indication(emu->target);
}

static void
bdfu_emu_disconnect_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
	if (reply == NULL)
		g_debug("Disconnect: %s", error->message);
}

static gboolean
bdfu_emu_flush_cb(gpointer user_data)
{
	BdfuEmu *emu = user_data;
	BdfuEmuValue *v;

	emu->flush_id = 0;
	while ((v = g_queue_pop_head(&emu->values)) != NULL) {
		if (emu->app != NULL)
			bdfu_emu_app_emit_value(emu->app, v->role, v->buf, v->len);
		g_free(v->buf);
		g_free(v);
	}
	if (emu->drop_peer) {
		emu->drop_peer = FALSE;
		if (emu->peer != NULL) {
			g_dbus_connection_call(emu->bus,
					       BDFU_EMU_BLUEZ,
					       emu->peer,
					       BDFU_EMU_DEVICE_IFACE,
					       "Disconnect",
					       NULL,
					       NULL,
					       G_DBUS_CALL_FLAGS_NONE,
					       BDFU_EMU_CALL_MS,
					       NULL,
					       bdfu_emu_disconnect_cb,
					       NULL);
			g_free(emu->dropping);
			emu->dropping = g_steal_pointer(&emu->peer);
			emu->mtu = 0;
		}
	}
	bdfu_emu_sync(emu);
	bdfu_emu_rearm(emu);
	return G_SOURCE_REMOVE;
}

void
bdfu_emu_flush_soon(BdfuEmu *emu)
{
	if (emu->flush_id == 0)
		emu->flush_id = g_idle_add(bdfu_emu_flush_cb, emu);
}

/* exporting the model's mode to bluetoothd ------------------------------------------------------
 */

typedef struct {
	BdfuEmu *emu;
	const gchar *what; /* NULL: an error is only logged */
} BdfuEmuStep;

static void
bdfu_emu_step(BdfuEmu *emu);

static void
bdfu_emu_step_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfuEmuStep *step = user_data;
	BdfuEmu *emu = step->emu;
	const gchar *what = step->what;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

	g_free(step);
	if (reply == NULL && what != NULL) {
		g_printerr("bluedfu-target: %s: %s\n", what, error->message);
		emu->exit_code = 1;
		g_main_loop_quit(emu->loop);
		return;
	}
	if (reply == NULL && emu->verbose)
		bdfu_emu_say(emu, "(%s)", error->message);
	bdfu_emu_step(emu);
}

static void
bdfu_emu_call(BdfuEmu *emu,
	      const gchar *path,
	      const gchar *iface,
	      const gchar *method,
	      GVariant *params,
	      const gchar *what)
{
	BdfuEmuStep *step = g_new0(BdfuEmuStep, 1);
	step->emu = emu;
	step->what = what;
	g_dbus_connection_call(emu->bus,
			       BDFU_EMU_BLUEZ,
			       path,
			       iface,
			       method,
			       params,
			       NULL,
			       G_DBUS_CALL_FLAGS_NONE,
			       BDFU_EMU_CALL_MS,
			       NULL,
			       bdfu_emu_step_cb,
			       step);
}

static gboolean
bdfu_emu_is_static_random(guint64 address)
{
	return (address >> 46) == 0x3;
}

/* the address the device uses in a mode; 0 = the controller's own */
static guint64
bdfu_emu_address_for(BdfuEmu *emu)
{
	guint64 a = emu->dev->address;
	if (emu->same_address)
		return 0;
	if (bdfu_target_get_address_increment(emu->target) != 0)
		a = (a & ~G_GUINT64_CONSTANT(0xFF)) | ((a + 1) & 0xFF);
	return a;
}

static gboolean
bdfu_emu_set_address(BdfuEmu *emu)
{
	g_autoptr(GError) error = NULL;
	guint64 want = bdfu_emu_address_for(emu);
	gchar text[18];

	if (want == 0 || want == emu->address_now)
		return TRUE;
	bdfu_emu_address_text(want, text);
	if (!bdfu_emu_mgmt_set_static_address(emu->index, want, &error)) {
		g_printerr("bluedfu-target: cannot give hci%u the address %s: %s\n",
			   emu->index,
			   text,
			   error->message);
		emu->exit_code = 1;
		g_main_loop_quit(emu->loop);
		return FALSE;
	}
	emu->address_now = want;
	return TRUE;
}

/* One step at a time from what bluetoothd has towards the model's mode: unregister the
 * advertisement and the application, drop the central, change the address, register the new
 * ones. Every asynchronous step comes back here; the model may move on meanwhile. */
static void
bdfu_emu_step(BdfuEmu *emu)
{
	BdfuTargetMode mode = bdfu_target_get_mode(emu->target);
	BdfuTargetMode want = mode == BDFU_TARGET_MODE_APP || mode == BDFU_TARGET_MODE_DFU
				  ? mode
				  : BDFU_TARGET_MODE_RESETTING;
	g_autoptr(GError) error = NULL;

	if (emu->exported != want) {
		if (emu->adv_registered) {
			emu->adv_registered = FALSE;
			bdfu_emu_call(emu,
				      emu->adapter_path,
				      "org.bluez.LEAdvertisingManager1",
				      "UnregisterAdvertisement",
				      g_variant_new("(o)", bdfu_emu_app_get_adv_path(emu->app)),
				      NULL);
			return;
		}
		if (emu->app_registered) {
			emu->app_registered = FALSE;
			bdfu_emu_call(emu,
				      emu->adapter_path,
				      "org.bluez.GattManager1",
				      "UnregisterApplication",
				      g_variant_new("(o)", bdfu_emu_app_get_root(emu->app)),
				      NULL);
			return;
		}
		if (emu->peer != NULL) {
			g_autofree gchar *peer = g_steal_pointer(&emu->peer);
			g_free(emu->dropping);
			emu->dropping = g_strdup(peer);
			bdfu_target_disconnect(emu->target);
			emu->mtu = 0;
			bdfu_emu_call(emu, peer, BDFU_EMU_DEVICE_IFACE, "Disconnect", NULL, NULL);
			return;
		}
		g_clear_pointer(&emu->app, bdfu_emu_app_free);
		emu->exported = want;
		if (want == BDFU_TARGET_MODE_RESETTING) {
			bdfu_emu_say(emu, "not advertising");
			emu->busy = FALSE;
			return;
		}
		if (!bdfu_emu_set_address(emu))
			return;
		emu->app = bdfu_emu_app_export(emu, want, ++emu->gen, &error);
		if (emu->app == NULL) {
			g_printerr("bluedfu-target: cannot export the GATT objects: %s\n",
				   error->message);
			emu->exit_code = 1;
			g_main_loop_quit(emu->loop);
			return;
		}
		emu->app_registered = TRUE;
		bdfu_emu_call(emu,
			      emu->adapter_path,
			      "org.bluez.GattManager1",
			      "RegisterApplication",
			      g_variant_new("(oa{sv})", bdfu_emu_app_get_root(emu->app), NULL),
			      "GattManager1.RegisterApplication");
		return;
	}
	if (emu->app != NULL && !emu->adv_registered) {
		gchar text[18] = "its own address";
		emu->adv_registered = TRUE;
		if (emu->address_now != 0)
			bdfu_emu_address_text(emu->address_now, text);
		if (emu->announced_gen != emu->gen)
			bdfu_emu_say(emu,
				     "advertising \"%s\" at %s (%s mode)",
				     bdfu_emu_adv_name(emu),
				     text,
				     bdfu_emu_mode_name(want));
		emu->announced_gen = emu->gen;
		bdfu_emu_call(emu,
			      emu->adapter_path,
			      "org.bluez.LEAdvertisingManager1",
			      "RegisterAdvertisement",
			      g_variant_new("(oa{sv})", bdfu_emu_app_get_adv_path(emu->app), NULL),
			      "LEAdvertisingManager1.RegisterAdvertisement");
		return;
	}
	emu->busy = FALSE;
}

/* Some controllers report an advertisement only when advertising or scanning starts (BlueZ's
 * btvirt does): withdrawn and registered again, it reaches centrals that started scanning
 * since, even when their first report was lost. */
static gboolean
bdfu_emu_readvertise_cb(gpointer user_data)
{
	BdfuEmu *emu = user_data;

	if (emu->busy || !emu->adv_registered || emu->peer != NULL || emu->app == NULL)
		return G_SOURCE_CONTINUE;
	emu->busy = TRUE;
	emu->adv_registered = FALSE;
	bdfu_emu_call(emu,
		      emu->adapter_path,
		      "org.bluez.LEAdvertisingManager1",
		      "UnregisterAdvertisement",
		      g_variant_new("(o)", bdfu_emu_app_get_adv_path(emu->app)),
		      NULL);
	return G_SOURCE_CONTINUE;
}

static void
bdfu_emu_sync(BdfuEmu *emu)
{
	if (emu->busy)
		return;
	emu->busy = TRUE;
	bdfu_emu_step(emu);
}

/* start-up ---------------------------------------------------------------------------------- */

static gboolean
bdfu_emu_quit_cb(gpointer user_data)
{
	BdfuEmu *emu = user_data;
	bdfu_emu_say(emu, "stopping");
	g_main_loop_quit(emu->loop);
	return G_SOURCE_REMOVE;
}

static BdfuSimDevice *
bdfu_emu_pick_device(GPtrArray *devices, const gchar *name, GError **error)
{
	g_autoptr(GString) names = g_string_new(NULL);

	for (guint i = 0; i < devices->len; i++) {
		BdfuSimDevice *dev = g_ptr_array_index(devices, i);
		if (name != NULL && g_strcmp0(dev->id, name) == 0)
			return dev;
		g_string_append_printf(names, "%s%s", i > 0 ? ", " : "", dev->id);
	}
	if (name == NULL && devices->len == 1)
		return g_ptr_array_index(devices, 0);
	if (name == NULL)
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "the profile describes %u devices; pick one with --device NAME (%s)",
			    devices->len,
			    names->str);
	else
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "the profile has no device '%s' (it has %s)",
			    name,
			    names->str);
	return NULL;
}

static gboolean
bdfu_emu_check_adapter(BdfuEmu *emu, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
	    emu->bus,
	    BDFU_EMU_BLUEZ,
	    emu->adapter_path,
	    "org.freedesktop.DBus.Properties",
	    "Set",
	    g_variant_new("(ssv)", "org.bluez.Adapter1", "Powered", g_variant_new_boolean(TRUE)),
	    NULL,
	    G_DBUS_CALL_FLAGS_NONE,
	    BDFU_EMU_CALL_MS,
	    NULL,
	    &error_local);
	if (reply == NULL) {
		g_dbus_error_strip_remote_error(error_local);
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_NOT_FOUND,
			    "cannot power on %s through bluetoothd: %s",
			    emu->adapter_path,
			    error_local->message);
		return FALSE;
	}
	return TRUE;
}

int
main(int argc, char **argv)
{
	g_autofree gchar *adapter = NULL;
	g_autofree gchar *profile = NULL;
	g_autofree gchar *device = NULL;
	g_autofree gchar *mode = NULL;
	gboolean instant_flash = FALSE, static_address = FALSE, verbose = FALSE, version = FALSE;
	gboolean acquire_write = FALSE;
	gint readvertise = 0;
	const GOptionEntry entries[] = {
	    {"adapter",
	     'a',
	     0,
	     G_OPTION_ARG_STRING,
	     &adapter,
	     "Adapter to use (default hci0)",
	     "hciN"},
	    {"profile",
	     'p',
	     0,
	     G_OPTION_ARG_FILENAME,
	     &profile,
	     "Device profile, the keys of bluedfu(1) SIMULATED DEVICES",
	     "FILE"},
	    {"device", 'd', 0, G_OPTION_ARG_STRING, &device, "Which device of the profile", "NAME"},
	    {"mode",
	     'm',
	     0,
	     G_OPTION_ARG_STRING,
	     &mode,
	     "Start in app or bootloader mode",
	     "app|bootloader"},
	    {"instant-flash",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &instant_flash,
	     "Flash writes and erases take no time",
	     NULL},
	    {"static-address",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &static_address,
	     "Advertise from the profile's address (DFU mode: address+1) as a static random "
	     "address; BlueZ 5.66 then answers no GATT (see the man page)",
	     NULL},
	    {"acquire-write",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &acquire_write,
	     "Take Packet writes through AcquireWrite (BlueZ 5.66 corrupts the first one)",
	     NULL},
	    {"readvertise",
	     0,
	     0,
	     G_OPTION_ARG_INT,
	     &readvertise,
	     "Withdraw and renew the advertisement every S seconds while unconnected",
	     "S"},
	    {"verbose",
	     'v',
	     0,
	     G_OPTION_ARG_NONE,
	     &verbose,
	     "Log what the device model does",
	     NULL},
	    {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL},
	    G_OPTION_ENTRY_NULL,
	};
	g_autoptr(GOptionContext) context = g_option_context_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) devices = NULL;
	BdfuEmu emu = {0};
	guint64 n = 0;
	gchar text[18];

	setlocale(LC_ALL, "");
	setvbuf(stdout, NULL, _IOLBF, 0);
	g_option_context_set_summary(
	    context,
	    "Make this computer's Bluetooth adapter pose as an nRF5 device "
	    "(application with buttonless DFU, or Secure DFU bootloader).");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("bluedfu-target: %s\n", error->message);
		return 2;
	}
	if (version) {
		g_print("bluedfu-target %s\n", BDFU_VERSION);
		return 0;
	}
	if (argc > 1) {
		g_printerr("bluedfu-target: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	if (adapter == NULL)
		adapter = g_strdup("hci0");
	if (!g_str_has_prefix(adapter, "hci") ||
	    !g_ascii_string_to_unsigned(adapter + 3, 10, 0, 0xFFFE, &n, NULL)) {
		g_printerr("bluedfu-target: '%s' is not an adapter name like hci1\n", adapter);
		return 2;
	}
	if (readvertise < 0 || readvertise > 3600) {
		g_printerr("bluedfu-target: --readvertise takes 0 to 3600 seconds\n");
		return 2;
	}
	if (mode != NULL && g_strcmp0(mode, "app") != 0 && g_strcmp0(mode, "bootloader") != 0) {
		g_printerr("bluedfu-target: --mode is app or bootloader, not '%s'\n", mode);
		return 2;
	}
	devices =
	    profile != NULL ? bdfu_sim_profile_load(profile, &error) : bdfu_sim_profile_default();
	if (devices == NULL || (emu.dev = bdfu_emu_pick_device(devices, device, &error)) == NULL) {
		g_printerr("bluedfu-target: %s\n", error->message);
		return 2;
	}
	for (guint i = 0; i < emu.dev->n_faults; i++) {
		if (emu.dev->faults[i].kind == BDFU_FAULT_DISCONNECT_BEFORE_FINAL_EXECUTE) {
			g_printerr("bluedfu-target: the fault disconnect-before-final-execute is "
				   "only simulated (--backend sim); this device cannot tell the "
				   "last Execute from the others\n");
			return 2;
		}
	}
	if (mode != NULL)
		emu.dev->config.start_in_dfu = g_strcmp0(mode, "bootloader") == 0;
	if (instant_flash) {
		emu.dev->config.flash_word_write_us = 0;
		emu.dev->config.page_erase_us = 0;
	}

	emu.index = (guint16)n;
	emu.adapter_path = g_strdup_printf("/org/bluez/%s", adapter);
	emu.verbose = verbose;
	emu.acquire_write = acquire_write;
	emu.same_address = !static_address;
	emu.t0 = g_get_monotonic_time();
	emu.exported = BDFU_TARGET_MODE_RESETTING;
	g_queue_init(&emu.values);
	if (static_address && !bdfu_emu_is_static_random(emu.dev->address)) {
		bdfu_emu_address_text(emu.dev->address, text);
		g_printerr("bluedfu-target: %s is not a static random address (its top bits are "
			   "not 11): --static-address cannot use it, keeping the adapter's own "
			   "address in both modes\n",
			   text);
		emu.same_address = TRUE;
	}
	emu.bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
	if (emu.bus == NULL) {
		g_printerr("bluedfu-target: cannot reach the system bus: %s\n", error->message);
		return 1;
	}
	if (!bdfu_emu_check_adapter(&emu, &error)) {
		g_printerr("bluedfu-target: %s\n", error->message);
		return 1;
	}
	emu.loop = g_main_loop_new(NULL, FALSE);
	emu.signal_id = g_dbus_connection_signal_subscribe(emu.bus,
							   BDFU_EMU_BLUEZ,
							   NULL,
							   NULL,
							   NULL,
							   NULL,
							   G_DBUS_SIGNAL_FLAGS_NONE,
							   bdfu_emu_bluez_signal,
							   &emu,
							   NULL);
	emu.target = bdfu_target_new(&emu.dev->config, &bdfu_emu_callbacks, &emu);
	bdfu_emu_advance(&emu);
	bdfu_emu_say(&emu,
		     "device '%s' on %s: %s",
		     emu.dev->id,
		     adapter,
		     bdfu_target_get_boot_reason(emu.target));
	if (readvertise > 0)
		emu.readvertise_id =
		    g_timeout_add_seconds((guint)readvertise, bdfu_emu_readvertise_cb, &emu);
	g_unix_signal_add(SIGINT, bdfu_emu_quit_cb, &emu);
	g_unix_signal_add(SIGTERM, bdfu_emu_quit_cb, &emu);
	bdfu_emu_flush_soon(&emu);
	g_main_loop_run(emu.loop);

	g_dbus_connection_signal_unsubscribe(emu.bus, emu.signal_id);
	g_clear_handle_id(&emu.timer_id, g_source_remove);
	g_clear_handle_id(&emu.readvertise_id, g_source_remove);
	g_clear_handle_id(&emu.flush_id, g_source_remove);
	g_clear_pointer(&emu.app, bdfu_emu_app_free);
	g_queue_clear_full(&emu.values, g_free);
	bdfu_target_free(emu.target);
	g_main_loop_unref(emu.loop);
	g_object_unref(emu.bus);
	g_free(emu.adapter_path);
	g_free(emu.peer);
	g_free(emu.dropping);
	return emu.exit_code;
}
