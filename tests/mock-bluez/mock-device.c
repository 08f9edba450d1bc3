/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mock-bluez.h"

#include <string.h>

#define ERR_FAILED "org.bluez.Error.Failed"

/* ---- the target model on real time; its callbacks are queued and delivered in order ---- */

typedef enum { EV_NOTIFY, EV_INDICATE, EV_DISCONNECTED, EV_MODE, EV_LOG } MockEventKind;

typedef struct {
	MockEventKind kind;
	GBytes *data;
	guint8 reason;
	BdfuTargetMode mode;
	gchar *text;
} MockEvent;

static void
event_free(MockEvent *ev)
{
	if (ev->data != NULL)
		g_bytes_unref(ev->data);
	g_free(ev->text);
	g_free(ev);
}

static void
push(MockPhys *phys, MockEventKind kind, const guint8 *buf, gsize len)
{
	MockEvent *ev = g_new0(MockEvent, 1);
	ev->kind = kind;
	if (buf != NULL)
		ev->data = g_bytes_new(buf, len);
	g_queue_push_tail(&phys->events, ev);
}

static void
cb_notify(gpointer user_data, const guint8 *buf, gsize len)
{
	push(user_data, EV_NOTIFY, buf, len);
}

static void
cb_indicate(gpointer user_data, const guint8 *buf, gsize len)
{
	push(user_data, EV_INDICATE, buf, len);
}

static void
cb_disconnected(gpointer user_data, guint8 reason)
{
	MockPhys *phys = user_data;
	push(phys, EV_DISCONNECTED, NULL, 0);
	((MockEvent *)g_queue_peek_tail(&phys->events))->reason = reason;
}

static void
cb_mode_changed(gpointer user_data, BdfuTargetMode mode, const gchar *reason)
{
	MockPhys *phys = user_data;
	MockEvent *ev;
	push(phys, EV_MODE, NULL, 0);
	ev = g_queue_peek_tail(&phys->events);
	ev->mode = mode;
	ev->text = g_strdup(reason);
}

static void
cb_log(gpointer user_data, const gchar *message)
{
	MockPhys *phys = user_data;
	push(phys, EV_LOG, NULL, 0);
	((MockEvent *)g_queue_peek_tail(&phys->events))->text = g_strdup(message);
}

static const BdfuTargetCallbacks target_callbacks = {
    cb_notify,
    cb_indicate,
    cb_disconnected,
    cb_mode_changed,
    cb_log,
};

static void
device_link_down(MockDevice *dev, guint8 reason);

static const gchar *
mode_name(BdfuTargetMode mode)
{
	switch (mode) {
	case BDFU_TARGET_MODE_APP:
		return "app";
	case BDFU_TARGET_MODE_DFU:
		return "dfu";
	case BDFU_TARGET_MODE_RESETTING:
		return "resetting";
	default:
		return "silent";
	}
}

static guint64
phys_now(MockPhys *phys)
{
	return (guint64)(g_get_monotonic_time() - phys->t0_us);
}

static gboolean
phys_timer_cb(gpointer user_data)
{
	MockPhys *phys = user_data;
	phys->timer_id = 0;
	mock_phys_run(phys);
	return G_SOURCE_REMOVE;
}

static void
deliver(MockPhys *phys, MockEvent *ev)
{
	Mock *mock = phys->mock;
	gsize len = 0;
	const guint8 *buf = ev->data != NULL ? g_bytes_get_data(ev->data, &len) : NULL;

	switch (ev->kind) {
	case EV_NOTIFY:
		if (phys->link != NULL)
			mock_gatt_deliver_value(phys->link, MOCK_UUID_CP, buf, len);
		break;
	case EV_INDICATE:
		if (phys->link == NULL)
			break;
		mock_gatt_deliver_value(phys->link,
					phys->config.bonded ? MOCK_UUID_BUTTONLESS_BONDED
							    : MOCK_UUID_BUTTONLESS,
					buf,
					len);
		/* BlueZ confirms indications itself */
		phys->in_target = TRUE;
		bdfu_target_confirm_indication(phys->target);
		phys->in_target = FALSE;
		break;
	case EV_DISCONNECTED:
		mock_log(
		    mock, "# %s: target dropped the link, reason 0x%02x", phys->group, ev->reason);
		if (phys->link != NULL)
			device_link_down(phys->link, ev->reason);
		break;
	case EV_MODE:
		mock_log(mock,
			 "# %s: mode %s (%s)",
			 phys->group,
			 mode_name(ev->mode),
			 ev->text != NULL ? ev->text : "");
		break;
	case EV_LOG:
		mock_log(mock, "# %s: target: %s", phys->group, ev->text);
		break;
	}
}

void
mock_phys_run(MockPhys *phys)
{
	guint64 next;
	guint64 now;

	if (phys->in_target)
		return;
	phys->in_target = TRUE;
	bdfu_target_advance(phys->target, phys_now(phys));
	phys->in_target = FALSE;
	while (phys->hold == 0 && !g_queue_is_empty(&phys->events)) {
		MockEvent *ev = g_queue_pop_head(&phys->events);
		deliver(phys, ev);
		event_free(ev);
	}
	g_clear_handle_id(&phys->timer_id, g_source_remove);
	next = bdfu_target_next_event_us(phys->target);
	if (next == G_MAXUINT64)
		return;
	now = phys_now(phys);
	phys->timer_id = g_timeout_add(
	    next > now ? (guint)MIN((next - now + 999) / 1000, G_MAXUINT) : 0, phys_timer_cb, phys);
}

void
mock_phys_start(MockPhys *phys)
{
	phys->t0_us = g_get_monotonic_time();
	phys->target = bdfu_target_new(&phys->config, &target_callbacks, phys);
	mock_phys_run(phys);
}

void
mock_phys_free(MockPhys *phys)
{
	g_clear_handle_id(&phys->timer_id, g_source_remove);
	g_queue_clear_full(&phys->events, (GDestroyNotify)event_free);
	bdfu_target_free(phys->target);
	bdfu_target_config_clear(&phys->config);
	g_array_unref(phys->disconnect_at);
	g_array_unref(phys->restart_at);
	g_strfreev(phys->app_adv_uuids);
	g_free(phys->fw_revision);
	g_free(phys->app_name);
	g_free(phys->address);
	g_free(phys->group);
	g_free(phys);
}

static gchar *
address_add(const gchar *address, guint increment)
{
	gchar *out = g_strdup(address);
	guint last = (g_ascii_xdigit_value(out[15]) << 4) | g_ascii_xdigit_value(out[16]);
	g_snprintf(out + 15, 3, "%02X", (last + increment) & 0xFF);
	return out;
}

gchar *
mock_phys_adv_address(MockPhys *phys)
{
	BdfuTargetMode mode = bdfu_target_get_mode(phys->target);
	if (phys->link != NULL || bdfu_target_is_connected(phys->target))
		return NULL;
	if (mode == BDFU_TARGET_MODE_APP)
		return g_strdup(phys->address);
	if (mode == BDFU_TARGET_MODE_DFU)
		return address_add(phys->address, bdfu_target_get_address_increment(phys->target));
	return NULL;
}

/* the bonded bootloader advertises without the general-discoverable flag (PROTOCOL §1.2) */
gboolean
mock_phys_discoverable(MockPhys *phys)
{
	return !(phys->config.bonded && bdfu_target_get_mode(phys->target) == BDFU_TARGET_MODE_DFU);
}

/* the bootloader lists 0xFE59 in its AD (PROTOCOL §1.2); the application what its config
 * says (app-adv-uuids) */
const gchar *const *
mock_phys_adv_uuids(MockPhys *phys)
{
	static const gchar *const dfu[] = {MOCK_UUID_DFU_SERVICE, NULL};
	if (bdfu_target_get_mode(phys->target) == BDFU_TARGET_MODE_DFU)
		return dfu;
	return (const gchar *const *)phys->app_adv_uuids;
}

const gchar *
mock_phys_adv_name(MockPhys *phys)
{
	return bdfu_target_get_adv_name(phys->target);
}

static gboolean
phys_connectable(MockPhys *phys, const gchar *address)
{
	g_autofree gchar *adv = mock_phys_adv_address(phys);
	if (adv == NULL || g_strcmp0(adv, address) != 0)
		return FALSE;
	/* the bonded bootloader only accepts the bonded peer (whitelist) */
	if (phys->config.bonded && bdfu_target_get_mode(phys->target) == BDFU_TARGET_MODE_DFU &&
	    !phys->host_bonded)
		return FALSE;
	return TRUE;
}

static void
restart_idle_cb(gpointer user_data)
{
	mock_restart(user_data);
}

void
mock_phys_packet_bytes(MockPhys *phys, gsize len)
{
	guint64 before = phys->packet_bytes;
	phys->packet_bytes += len;
	for (guint i = 0; i < phys->disconnect_at->len; i++) {
		guint64 at = g_array_index(phys->disconnect_at, guint64, i);
		if (before < at && phys->packet_bytes >= at && phys->link != NULL) {
			mock_log(phys->mock,
				 "# %s: fault: link lost at Packet byte %" G_GUINT64_FORMAT,
				 phys->group,
				 phys->packet_bytes);
			phys->in_target = TRUE;
			bdfu_target_disconnect(phys->target);
			phys->in_target = FALSE;
			device_link_down(phys->link, 0x08);
		}
	}
	for (guint i = 0; i < phys->restart_at->len; i++) {
		guint64 at = g_array_index(phys->restart_at, guint64, i);
		if (before < at && phys->packet_bytes >= at) {
			mock_log(
			    phys->mock,
			    "# %s: fault: bluetoothd restarts at Packet byte %" G_GUINT64_FORMAT,
			    phys->group,
			    phys->packet_bytes);
			g_idle_add_once(restart_idle_cb, phys->mock);
		}
	}
}

/* ---- Device1 objects ---- */

MockDevice *
mock_device_lookup(Mock *mock, const gchar *address)
{
	for (guint i = 0; i < mock->devices->len; i++) {
		MockDevice *dev = g_ptr_array_index(mock->devices, i);
		if (g_strcmp0(dev->address, address) == 0)
			return dev;
	}
	return NULL;
}

MockDevice *
mock_device_lookup_path(Mock *mock, const gchar *path)
{
	for (guint i = 0; i < mock->devices->len; i++) {
		MockDevice *dev = g_ptr_array_index(mock->devices, i);
		if (g_strcmp0(mock_object_get_path(dev->obj), path) == 0)
			return dev;
	}
	return NULL;
}

static void
device_method(MockObject *obj,
	      const gchar *iface,
	      const gchar *method,
	      GVariant *params,
	      GDBusMethodInvocation *invocation,
	      gpointer user_data);

static gboolean
device_set(MockObject *obj,
	   const gchar *iface,
	   const gchar *name,
	   GVariant *value,
	   GError **error,
	   gpointer user_data)
{
	mock_object_set(obj, iface, name, g_variant_ref(value), FALSE);
	return TRUE;
}

static void
device_set_uuids(MockDevice *dev, const gchar *uuid)
{
	GVariant *old = mock_object_get(dev->obj, MOCK_IFACE_DEVICE, "UUIDs");
	g_autoptr(GPtrArray) list = g_ptr_array_new();
	g_autofree const gchar **strv = old != NULL ? g_variant_get_strv(old, NULL) : NULL;
	for (guint i = 0; strv != NULL && strv[i] != NULL; i++) {
		if (g_strcmp0(strv[i], uuid) == 0)
			return;
		g_ptr_array_add(list, (gpointer)strv[i]);
	}
	g_ptr_array_add(list, (gpointer)uuid);
	mock_object_set(dev->obj,
			MOCK_IFACE_DEVICE,
			"UUIDs",
			g_variant_new_strv((const gchar *const *)list->pdata, list->len),
			FALSE);
}

/* an object as BlueZ creates it for an address (temporary until connected) */
MockDevice *
mock_device_new(Mock *mock, MockPhys *phys, const gchar *address, gboolean temporary)
{
	MockDevice *dev = g_new0(MockDevice, 1);
	g_autofree gchar *path = NULL;
	g_autofree gchar *alias = g_strdup(address);
	gboolean bonded = phys->host_bonded && g_strcmp0(address, phys->address) == 0;

	dev->mock = mock;
	dev->phys = phys;
	dev->address = g_strdup(address);
	dev->temporary = temporary && !bonded;
	dev->last_seen_us = g_get_monotonic_time();
	dev->gatt_objs = g_ptr_array_new();
	dev->chars = g_ptr_array_new();
	dev->pending_disconnects = g_ptr_array_new();
	dev->pending_removes = g_ptr_array_new();
	g_queue_init(&dev->txq);
	g_strdelimit(alias, ":", '-');
	path = g_strdup_printf("%s/dev_%s", MOCK_ADAPTER_PATH, alias);
	g_strdelimit(path, "-", '_');
	dev->obj = mock_object_new(mock, path);
	mock_object_add_iface(dev->obj, MOCK_IFACE_DEVICE, device_method, device_set, dev);
#define SET(n, v) mock_object_set(dev->obj, MOCK_IFACE_DEVICE, n, v, FALSE)
	SET("Address", g_variant_new_string(address));
	SET("AddressType", g_variant_new_string("random"));
	SET("Alias", g_variant_new_string(alias));
	SET("Paired", g_variant_new_boolean(bonded));
	SET("Bonded", g_variant_new_boolean(bonded));
	SET("Trusted", g_variant_new_boolean(FALSE));
	SET("Blocked", g_variant_new_boolean(FALSE));
	SET("LegacyPairing", g_variant_new_boolean(FALSE));
	SET("Connected", g_variant_new_boolean(FALSE));
	SET("UUIDs", g_variant_new_strv(NULL, 0));
	SET("Adapter", g_variant_new_object_path(MOCK_ADAPTER_PATH));
	SET("ServicesResolved", g_variant_new_boolean(FALSE));
#undef SET
	g_ptr_array_add(mock->devices, dev);
	return dev;
}

void
mock_device_advert(Mock *mock, MockPhys *phys, const gchar *address, gboolean filtered)
{
	MockDevice *dev = mock_device_lookup(mock, address);
	const gchar *name = mock_phys_adv_name(phys);
	gint16 rssi = phys->rssi == 127 ? 127 : (gint16)(phys->rssi + g_random_int_range(-6, 7));
	gboolean is_new = dev == NULL;

	if (is_new) {
		dev = mock_device_new(mock, phys, address, TRUE);
		if (name != NULL) {
			mock_object_set(
			    dev->obj, MOCK_IFACE_DEVICE, "Name", g_variant_new_string(name), FALSE);
			mock_object_set(dev->obj,
					MOCK_IFACE_DEVICE,
					"Alias",
					g_variant_new_string(name),
					FALSE);
		}
		for (const gchar *const *u = mock_phys_adv_uuids(phys); *u != NULL; u++)
			device_set_uuids(dev, *u);
		mock_object_set(
		    dev->obj, MOCK_IFACE_DEVICE, "RSSI", g_variant_new_int16(rssi), FALSE);
		dev->last_rssi = rssi;
		mock_object_export(dev->obj);
	} else {
		dev->phys = phys;
		if (name != NULL) {
			/* a complete local name replaces the cached one */
			mock_object_set(
			    dev->obj, MOCK_IFACE_DEVICE, "Name", g_variant_new_string(name), FALSE);
			mock_object_set(dev->obj,
					MOCK_IFACE_DEVICE,
					"Alias",
					g_variant_new_string(name),
					FALSE);
		}
		for (const gchar *const *u = mock_phys_adv_uuids(phys); *u != NULL; u++)
			device_set_uuids(dev, *u);
		/* without any filter only changes of 8 dBm or more are signalled */
		if (filtered || dev->last_rssi == 0 || ABS(rssi - dev->last_rssi) >= 8) {
			mock_object_set(
			    dev->obj, MOCK_IFACE_DEVICE, "RSSI", g_variant_new_int16(rssi), TRUE);
			dev->last_rssi = rssi;
		}
	}
	dev->last_seen_us = g_get_monotonic_time();
}

/* ---- connections (§2) ---- */

static void
reply_pending(Mock *mock, GDBusMethodInvocation **inv, const gchar *error, const gchar *message)
{
	if (*inv == NULL)
		return;
	if (error != NULL)
		mock_return_error(mock, *inv, error, message);
	else
		g_dbus_method_invocation_return_value(*inv, NULL);
	*inv = NULL;
}

static void
set_prop(MockDevice *dev, const gchar *name, GVariant *value)
{
	mock_object_set(dev->obj, MOCK_IFACE_DEVICE, name, value, FALSE);
}

static void
device_pair_done(MockDevice *dev)
{
	dev->phys->host_bonded = g_strcmp0(dev->address, dev->phys->address) == 0;
	dev->phys->in_target = TRUE;
	bdfu_target_set_peer_bonded(dev->phys->target, dev->phys->host_bonded);
	dev->phys->in_target = FALSE;
	dev->temporary = FALSE;
	set_prop(dev, "Paired", g_variant_new_boolean(TRUE));
	set_prop(dev, "Bonded", g_variant_new_boolean(TRUE));
	reply_pending(dev->mock, &dev->pending_pair, NULL, NULL);
}

static gboolean
stale_gatt_cb(gpointer user_data)
{
	MockDevice *dev = user_data;
	MockGattKind actual = bdfu_target_get_mode(dev->phys->target) == BDFU_TARGET_MODE_DFU
				  ? MOCK_GATT_DFU
				  : MOCK_GATT_APP;
	dev->stale_gatt_timer = 0;
	mock_log(
	    dev->mock, "# %s: Service Changed: the cached GATT tree is replaced", dev->address);
	mock_gatt_unexport(dev, TRUE);
	mock_gatt_export(dev, actual);
	mock_gatt_rearm_notify(dev);
	return G_SOURCE_REMOVE;
}

static gboolean
rearm_cb(gpointer user_data)
{
	MockDevice *dev = user_data;
	dev->stale_gatt_timer = 0;
	mock_gatt_rearm_notify(dev);
	return G_SOURCE_REMOVE;
}

/* GATT init after the ATT channel is up: MTU exchange, discovery or cache, ServicesResolved */
static gboolean
resolve_cb(gpointer user_data)
{
	MockDevice *dev = user_data;
	MockPhys *phys = dev->phys;
	BdfuTargetMode mode = bdfu_target_get_mode(phys->target);
	MockGattKind actual = mode == BDFU_TARGET_MODE_DFU ? MOCK_GATT_DFU : MOCK_GATT_APP;

	dev->resolve_timer = 0;
	phys->in_target = TRUE;
	dev->mtu = bdfu_target_exchange_mtu(phys->target, 517);
	phys->in_target = FALSE;
	mock_gatt_link_up(dev);
	if (dev->gatt_kind == MOCK_GATT_NONE) {
		mock_gatt_export(dev, actual);
	} else if (dev->gatt_kind != actual) {
		if (phys->stale_gatt) {
			/* same handles as before: BlueZ reuses the cached services (§2.7) */
			mock_log(dev->mock, "# %s: fault: stale GATT tree kept", dev->address);
			dev->stale_gatt_timer =
			    g_timeout_add(phys->stale_gatt_ms, stale_gatt_cb, dev);
		} else {
			mock_gatt_unexport(dev, TRUE);
			mock_gatt_export(dev, actual);
		}
	}
	if (phys->notify_rearm_ms == 0)
		mock_gatt_rearm_notify(dev);
	else if (dev->stale_gatt_timer == 0)
		dev->stale_gatt_timer = g_timeout_add(phys->notify_rearm_ms, rearm_cb, dev);
	dev->resolved = TRUE;
	set_prop(dev, "ServicesResolved", g_variant_new_boolean(TRUE));
	if (dev->pending_pair != NULL)
		device_pair_done(dev);
	mock_phys_run(phys);
	return G_SOURCE_REMOVE;
}

static void
device_link_up(MockDevice *dev)
{
	MockPhys *phys = dev->phys;
	phys->link = dev;
	dev->link_up = TRUE;
	phys->in_target = TRUE;
	bdfu_target_set_peer_bonded(phys->target, phys->host_bonded);
	phys->in_target = FALSE;
	dev->temporary = FALSE;
	mock_log(dev->mock, "# %s: link up", dev->address);
	set_prop(dev, "Connected", g_variant_new_boolean(TRUE));
	/* Connect returns when ATT is up, before MTU exchange and discovery (§2.1) */
	reply_pending(dev->mock, &dev->pending_connect, NULL, NULL);
	dev->resolve_timer = g_timeout_add(phys->resolve_delay_ms, resolve_cb, dev);
}

static void
connect_stop(MockDevice *dev)
{
	g_clear_handle_id(&dev->connect_timer, g_source_remove);
	g_clear_handle_id(&dev->connect_deadline, g_source_remove);
}

static gboolean
connect_poll_cb(gpointer user_data)
{
	MockDevice *dev = user_data;
	MockPhys *phys = dev->phys;
	gboolean ok;

	mock_phys_run(phys);
	if (phys->link != NULL || !phys_connectable(phys, dev->address))
		return G_SOURCE_CONTINUE;
	phys->in_target = TRUE;
	ok = bdfu_target_connect(phys->target);
	phys->in_target = FALSE;
	if (!ok)
		return G_SOURCE_CONTINUE;
	dev->connect_timer = 0;
	g_clear_handle_id(&dev->connect_deadline, g_source_remove);
	device_link_up(dev);
	mock_phys_run(phys);
	return G_SOURCE_REMOVE;
}

/* every LE socket-level failure reads le-connection-abort-by-local in 5.66 (§2.1) */
static gboolean
connect_deadline_cb(gpointer user_data)
{
	MockDevice *dev = user_data;
	dev->connect_deadline = 0;
	connect_stop(dev);
	mock_log(dev->mock, "# %s: connect attempt timed out", dev->address);
	reply_pending(dev->mock, &dev->pending_connect, ERR_FAILED, "le-connection-abort-by-local");
	reply_pending(dev->mock,
		      &dev->pending_pair,
		      "org.bluez.Error.ConnectionAttemptFailed",
		      "Page Timeout");
	return G_SOURCE_REMOVE;
}

static gboolean
abort_down_cb(gpointer user_data)
{
	MockDevice *dev = user_data;
	dev->down_timer = 0;
	set_prop(dev, "Connected", g_variant_new_boolean(FALSE));
	return G_SOURCE_REMOVE;
}

/* the link comes up for a moment, then the connect fails (bleak#1220, PR #1255) */
static gboolean
abort_cb(gpointer user_data)
{
	MockDevice *dev = user_data;
	dev->connect_timer = 0;
	mock_log(dev->mock, "# %s: fault: le-connection-abort-by-local", dev->address);
	set_prop(dev, "Connected", g_variant_new_boolean(TRUE));
	reply_pending(dev->mock, &dev->pending_connect, ERR_FAILED, "le-connection-abort-by-local");
	reply_pending(dev->mock,
		      &dev->pending_pair,
		      "org.bluez.Error.ConnectionAttemptFailed",
		      "Page Timeout");
	dev->down_timer = g_timeout_add(50, abort_down_cb, dev);
	return G_SOURCE_REMOVE;
}

static gboolean
stale_attempt_cb(gpointer user_data)
{
	MockDevice *dev = user_data;
	dev->stale_timer = 0;
	dev->stale_attempt = FALSE;
	return G_SOURCE_REMOVE;
}

static void
device_start_connect(MockDevice *dev)
{
	MockPhys *phys = dev->phys;
	dev->temporary = FALSE; /* permanent even if the connect fails (§1.7) */
	if (phys->connect_abort > 0) {
		phys->connect_abort--;
		dev->connect_timer = g_timeout_add(phys->connect_ms, abort_cb, dev);
		return;
	}
	dev->connect_timer = g_timeout_add(MAX(phys->connect_ms, 1), connect_poll_cb, dev);
	dev->connect_deadline = g_timeout_add(phys->connect_timeout_ms, connect_deadline_cb, dev);
}

static gboolean
down_cb(gpointer user_data)
{
	MockDevice *dev = user_data;
	MockPhys *phys = dev->phys;
	dev->down_timer = 0;
	if (dev->link_up) {
		phys->in_target = TRUE;
		bdfu_target_disconnect(phys->target);
		phys->in_target = FALSE;
		device_link_down(dev, 0x16);
	}
	mock_phys_run(phys);
	return G_SOURCE_REMOVE;
}

static void
device_request_disconnect(MockDevice *dev, GDBusMethodInvocation *invocation)
{
	if (invocation != NULL)
		g_ptr_array_add(dev->pending_disconnects, invocation);
	if (dev->down_timer == 0)
		dev->down_timer = g_timeout_add(dev->phys->disconnect_ms, down_cb, dev);
}

static void
device_finish_remove(MockDevice *dev);

static void
device_link_down(MockDevice *dev, guint8 reason)
{
	MockPhys *phys = dev->phys;
	if (!dev->link_up)
		return;
	g_clear_handle_id(&dev->resolve_timer, g_source_remove);
	g_clear_handle_id(&dev->stale_gatt_timer, g_source_remove);
	g_clear_handle_id(&dev->down_timer, g_source_remove);
	mock_log(dev->mock, "# %s: link down, reason 0x%02x", dev->address, reason);
	/* ServicesResolved goes false before Connected (§2.2) */
	if (dev->resolved)
		set_prop(dev, "ServicesResolved", g_variant_new_boolean(FALSE));
	dev->resolved = FALSE;
	dev->link_up = FALSE;
	if (phys->link == dev)
		phys->link = NULL;
	set_prop(dev, "Connected", g_variant_new_boolean(FALSE));
	mock_gatt_link_down(dev);
	reply_pending(dev->mock,
		      &dev->pending_pair,
		      "org.bluez.Error.AuthenticationCanceled",
		      "Authentication Canceled");
	for (guint i = 0; i < dev->pending_disconnects->len; i++)
		g_dbus_method_invocation_return_value(
		    g_ptr_array_index(dev->pending_disconnects, i), NULL);
	g_ptr_array_set_size(dev->pending_disconnects, 0);
	if (dev->pending_removes->len > 0)
		device_finish_remove(dev);
}

static void
device_method(MockObject *obj,
	      const gchar *iface,
	      const gchar *method,
	      GVariant *params,
	      GDBusMethodInvocation *invocation,
	      gpointer user_data)
{
	MockDevice *dev = user_data;
	Mock *mock = dev->mock;

	if (!mock_object_get_bool(mock->adapter, MOCK_IFACE_ADAPTER, "Powered")) {
		mock_return_error(
		    mock, invocation, "org.bluez.Error.NotReady", "Resource Not Ready");
		return;
	}
	if (g_strcmp0(method, "Connect") == 0) {
		if (dev->link_up) {
			g_dbus_method_invocation_return_value(invocation, NULL);
			return;
		}
		if (dev->pending_connect != NULL || dev->pending_pair != NULL ||
		    dev->stale_attempt) {
			mock_return_error(
			    mock, invocation, ERR_FAILED, "Operation already in progress");
			return;
		}
		if (dev->phys->connect_in_progress > 0) {
			/* an earlier attempt (BlueZ's own) still holds att_io until it times out */
			dev->phys->connect_in_progress--;
			dev->stale_attempt = TRUE;
			dev->stale_timer =
			    g_timeout_add(dev->phys->connect_timeout_ms, stale_attempt_cb, dev);
			mock_return_error(
			    mock, invocation, ERR_FAILED, "Operation already in progress");
			return;
		}
		dev->pending_connect = invocation;
		device_start_connect(dev);
		return;
	}
	if (g_strcmp0(method, "Disconnect") == 0) {
		if (dev->pending_connect != NULL || dev->pending_pair != NULL) {
			connect_stop(dev);
			reply_pending(
			    mock, &dev->pending_connect, ERR_FAILED, "br-connection-canceled");
			reply_pending(mock,
				      &dev->pending_pair,
				      "org.bluez.Error.AuthenticationCanceled",
				      "Authentication Canceled");
		}
		if (dev->stale_attempt) {
			g_clear_handle_id(&dev->stale_timer, g_source_remove);
			dev->stale_attempt = FALSE;
		}
		if (!dev->link_up) {
			/* 5.66 never answers NotConnected (§2.5) */
			g_dbus_method_invocation_return_value(invocation, NULL);
			return;
		}
		device_request_disconnect(dev, invocation);
		return;
	}
	if (g_strcmp0(method, "Pair") == 0) {
		if (mock_object_get_bool(dev->obj, MOCK_IFACE_DEVICE, "Paired")) {
			mock_return_error(
			    mock, invocation, "org.bluez.Error.AlreadyExists", "Already Exists");
			return;
		}
		if (dev->pending_pair != NULL) {
			mock_return_error(
			    mock, invocation, "org.bluez.Error.InProgress", "In Progress");
			return;
		}
		dev->pending_pair = invocation;
		if (dev->resolved)
			device_pair_done(dev);
		else if (!dev->link_up && dev->pending_connect == NULL)
			device_start_connect(dev); /* mgmt Pair Device creates the link */
		return;
	}
	if (g_strcmp0(method, "CancelPairing") == 0) {
		if (dev->pending_pair == NULL) {
			mock_return_error(
			    mock, invocation, "org.bluez.Error.DoesNotExist", "Does Not Exist");
			return;
		}
		reply_pending(mock,
			      &dev->pending_pair,
			      "org.bluez.Error.AuthenticationCanceled",
			      "Authentication Canceled");
		g_dbus_method_invocation_return_value(invocation, NULL);
		return;
	}
	g_dbus_method_invocation_return_dbus_error(
	    invocation, "org.freedesktop.DBus.Error.UnknownMethod", "Unknown method");
}

static void
device_finish_remove(MockDevice *dev)
{
	Mock *mock = dev->mock;
	g_autoptr(GPtrArray) removes = g_steal_pointer(&dev->pending_removes);
	dev->pending_removes = g_ptr_array_new();
	/* deletes the keys too: a bond is gone for good (§1.7) */
	if (mock_object_get_bool(dev->obj, MOCK_IFACE_DEVICE, "Paired") &&
	    g_strcmp0(dev->address, dev->phys->address) == 0)
		dev->phys->host_bonded = FALSE;
	mock_gatt_unexport(dev, TRUE);
	g_ptr_array_remove(mock->devices, dev);
	mock_object_destroy(dev->obj, TRUE);
	dev->obj = NULL;
	for (guint i = 0; i < removes->len; i++) {
		GDBusMethodInvocation *inv = g_ptr_array_index(removes, i);
		if (inv != (gpointer)dev)
			g_dbus_method_invocation_return_value(inv, NULL);
	}
	mock_device_free(dev);
}

void
mock_device_remove(MockDevice *dev, GDBusMethodInvocation *invocation)
{
	/* the device itself stands for "no invocation" in the list */
	g_ptr_array_add(dev->pending_removes, invocation != NULL ? (gpointer)invocation : dev);
	connect_stop(dev);
	reply_pending(dev->mock, &dev->pending_connect, ERR_FAILED, "br-connection-canceled");
	if (dev->link_up)
		device_request_disconnect(dev, NULL);
	else
		device_finish_remove(dev);
}

void
mock_device_free(MockDevice *dev)
{
	if (dev == NULL)
		return;
	connect_stop(dev);
	g_clear_handle_id(&dev->stale_timer, g_source_remove);
	g_clear_handle_id(&dev->resolve_timer, g_source_remove);
	g_clear_handle_id(&dev->stale_gatt_timer, g_source_remove);
	g_clear_handle_id(&dev->down_timer, g_source_remove);
	if (dev->phys->link == dev)
		dev->phys->link = NULL;
	g_clear_object(&dev->pending_connect);
	g_clear_object(&dev->pending_pair);
	for (guint i = 0; i < dev->pending_disconnects->len; i++)
		g_object_unref(g_ptr_array_index(dev->pending_disconnects, i));
	g_ptr_array_unref(dev->pending_disconnects);
	if (dev->pending_removes != NULL) {
		for (guint i = 0; i < dev->pending_removes->len; i++)
			if (g_ptr_array_index(dev->pending_removes, i) != (gpointer)dev)
				g_object_unref(g_ptr_array_index(dev->pending_removes, i));
		g_ptr_array_unref(dev->pending_removes);
	}
	mock_gatt_unexport(dev, FALSE);
	g_ptr_array_unref(dev->gatt_objs);
	g_ptr_array_unref(dev->chars);
	mock_object_destroy(dev->obj, FALSE);
	g_free(dev->address);
	g_free(dev);
}
