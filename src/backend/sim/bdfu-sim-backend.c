/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bdfu-sim"

#include "backend/sim/bdfu-sim-private.h"
#include "bluedfu/bdfu-error.h"

#include <fnmatch.h>
#include <string.h>

/* how often a scan looks at what is advertising (a few advertising intervals) */
#define BDFU_SIM_SCAN_LOOK_MS 50

struct _BdfuSimBackend {
	BdfuBackend parent_instance;
	BdfuSimClock *clock;
	GPtrArray *devices; /* BdfuSimDevice* */
	GPtrArray *conns;   /* BdfuSimConnection*, unowned, those with a link */
	GPtrArray *scans;   /* BdfuSimScan* */
};

G_DEFINE_TYPE(BdfuSimBackend, bdfu_sim_backend, BDFU_TYPE_BACKEND)

typedef struct {
	BdfuSimBackend *backend;
	GTask *task;
	gchar **addresses;
	gchar *name_glob;
	BdfuScanFilter filter; /* flags only */
	GHashTable *seen;      /* address → BdfuDeviceInfo* */
	guint look_id;
	guint deadline_id;
	guint cancel_timer_id;
	GCancellable *cancellable;
	gulong cancel_handler;
} BdfuSimScan;

/* the world ------------------------------------------------------------------------------------ */

static guint64
bdfu_sim_backend_next_event(gpointer user_data)
{
	BdfuSimBackend *self = user_data;
	guint64 next = G_MAXUINT64;
	for (guint i = 0; i < self->devices->len; i++) {
		BdfuSimDevice *dev = g_ptr_array_index(self->devices, i);
		next = MIN(next, bdfu_target_next_event_us(dev->target));
	}
	for (guint i = 0; i < self->conns->len; i++) {
		BdfuLink *link = bdfu_sim_connection_get_link(g_ptr_array_index(self->conns, i));
		if (link != NULL)
			next = MIN(next, bdfu_link_next_event_us(link));
	}
	return next;
}

static void
bdfu_sim_backend_advance(gpointer user_data, guint64 now_us)
{
	BdfuSimBackend *self = user_data;
	/* the models only queue what they say, so nothing here re-enters them */
	for (guint i = 0; i < self->conns->len; i++) {
		BdfuLink *link = bdfu_sim_connection_get_link(g_ptr_array_index(self->conns, i));
		if (link != NULL)
			bdfu_link_advance(link, now_us);
	}
	for (guint i = 0; i < self->devices->len; i++) {
		BdfuSimDevice *dev = g_ptr_array_index(self->devices, i);
		bdfu_target_advance(dev->target, now_us);
	}
}

static gboolean
bdfu_sim_backend_flush(gpointer user_data)
{
	BdfuSimBackend *self = user_data;
	g_autoptr(GPtrArray) conns = g_ptr_array_new_with_free_func(g_object_unref);
	gboolean delivered = FALSE;

	/* a delivery may end any connection, so hold them all first */
	for (guint i = 0; i < self->conns->len; i++)
		g_ptr_array_add(conns, g_object_ref(g_ptr_array_index(self->conns, i)));
	for (guint i = 0; i < conns->len; i++) {
		if (bdfu_sim_connection_flush(g_ptr_array_index(conns, i)))
			delivered = TRUE;
	}
	return delivered;
}

static const BdfuSimWorld bdfu_sim_world = {
    .next_event = bdfu_sim_backend_next_event,
    .advance = bdfu_sim_backend_advance,
    .flush = bdfu_sim_backend_flush,
    .ref = g_object_ref,
    .unref = g_object_unref,
};

BdfuSimClock *
bdfu_sim_backend_get_clock(BdfuSimBackend *self)
{
	return self->clock;
}

void
bdfu_sim_backend_connection_gone(BdfuSimBackend *self, BdfuSimConnection *conn)
{
	g_ptr_array_remove(self->conns, conn);
	for (guint i = 0; i < self->devices->len; i++) {
		BdfuSimDevice *dev = g_ptr_array_index(self->devices, i);
		if (dev->conn == conn)
			dev->conn = NULL;
	}
}

/* what a device advertises now; FALSE when it is silent, resetting or connected */
static gboolean
bdfu_sim_device_advertising(BdfuSimDevice *dev, gchar address[18], BdfuDeviceMode *mode)
{
	BdfuTargetMode tmode = bdfu_target_get_mode(dev->target);
	guint64 adv = dev->address;

	if (dev->conn != NULL || bdfu_target_is_connected(dev->target))
		return FALSE;
	if (tmode == BDFU_TARGET_MODE_APP) {
		*mode = bdfu_target_is_bonded(dev->target) ? BDFU_DEVICE_MODE_APP_BUTTONLESS_BONDED
							   : BDFU_DEVICE_MODE_APP_BUTTONLESS;
	} else if (tmode == BDFU_TARGET_MODE_DFU) {
		*mode = BDFU_DEVICE_MODE_DFU;
		/* the bootloader adds to the last octet only, without carry */
		adv = (adv & ~G_GUINT64_CONSTANT(0xFF)) |
		      ((adv + bdfu_target_get_address_increment(dev->target)) & 0xFF);
	} else {
		return FALSE;
	}
	bdfu_sim_address_to_string(adv, address);
	return TRUE;
}

/* scanning ------------------------------------------------------------------------------------- */

static gboolean
bdfu_sim_scan_matches(BdfuSimScan *scan,
		      const gchar *address,
		      const gchar *name,
		      BdfuDeviceMode mode)
{
	gboolean wanted = scan->addresses == NULL && scan->name_glob == NULL;

	if (scan->addresses != NULL &&
	    g_strv_contains((const gchar *const *)scan->addresses, address))
		wanted = TRUE;
	if (scan->name_glob != NULL && name != NULL &&
	    (g_strcmp0(scan->name_glob, name) == 0 || fnmatch(scan->name_glob, name, 0) == 0))
		wanted = TRUE;
	if (!wanted)
		return FALSE;
	if (!scan->filter.all && mode != BDFU_DEVICE_MODE_DFU &&
	    mode != BDFU_DEVICE_MODE_APP_BUTTONLESS &&
	    mode != BDFU_DEVICE_MODE_APP_BUTTONLESS_BONDED)
		return FALSE;
	if (scan->filter.dfu_only && mode != BDFU_DEVICE_MODE_DFU)
		return FALSE;
	if (scan->filter.app_only && !bdfu_device_mode_is_app(mode))
		return FALSE;
	return TRUE;
}

static gint
bdfu_sim_info_cmp(gconstpointer a, gconstpointer b)
{
	const BdfuDeviceInfo *ia = *(BdfuDeviceInfo *const *)a;
	const BdfuDeviceInfo *ib = *(BdfuDeviceInfo *const *)b;
	if (ia->rssi != ib->rssi)
		return ib->rssi - ia->rssi;
	return g_strcmp0(ia->address, ib->address);
}

static void
bdfu_sim_scan_free(BdfuSimScan *scan)
{
	BdfuSimClock *clock = scan->backend->clock;
	bdfu_sim_clock_timeout_remove(clock, scan->look_id);
	bdfu_sim_clock_timeout_remove(clock, scan->deadline_id);
	bdfu_sim_clock_timeout_remove(clock, scan->cancel_timer_id);
	if (scan->cancellable != NULL) {
		g_cancellable_disconnect(scan->cancellable, scan->cancel_handler);
		g_object_unref(scan->cancellable);
	}
	g_strfreev(scan->addresses);
	g_free(scan->name_glob);
	g_hash_table_unref(scan->seen);
	g_clear_object(&scan->task);
	g_free(scan);
}

/* error NULL: return what was seen */
static void
bdfu_sim_scan_finish_now(BdfuSimScan *scan, GError *error)
{
	BdfuSimBackend *self = scan->backend;
	g_autoptr(GTask) task = g_steal_pointer(&scan->task);
	GPtrArray *result;
	GHashTableIter iter;
	gpointer value;

	g_ptr_array_remove(self->scans, scan);
	if (error != NULL) {
		bdfu_sim_scan_free(scan);
		g_task_return_error(task, error);
		return;
	}
	result = g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_device_info_free);
	g_hash_table_iter_init(&iter, scan->seen);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		g_ptr_array_add(result, value);
		g_hash_table_iter_steal(&iter);
	}
	g_ptr_array_sort(result, bdfu_sim_info_cmp);
	bdfu_sim_scan_free(scan);
	g_task_return_pointer(task, result, (GDestroyNotify)g_ptr_array_unref);
}

static gboolean
bdfu_sim_scan_look_cb(gpointer user_data)
{
	BdfuSimScan *scan = user_data;
	BdfuSimBackend *self = scan->backend;
	gboolean found = FALSE;

	for (guint i = 0; i < self->devices->len; i++) {
		BdfuSimDevice *dev = g_ptr_array_index(self->devices, i);
		gchar address[18];
		BdfuDeviceMode mode = BDFU_DEVICE_MODE_UNKNOWN;
		const gchar *name;
		BdfuDeviceInfo *info;

		if (!bdfu_sim_device_advertising(dev, address, &mode))
			continue;
		name = bdfu_target_get_adv_name(dev->target);
		if (!bdfu_sim_scan_matches(scan, address, name, mode))
			continue;
		info = bdfu_device_info_new();
		info->address = g_strdup(address);
		info->name = g_strdup(name);
		info->rssi = dev->rssi;
		info->mode = mode;
		info->bonded = bdfu_target_is_bonded(dev->target);
		info->adapter = g_strdup("sim0");
		/* the latest advertisement of an address wins */
		g_hash_table_replace(scan->seen, info->address, info);
		found = TRUE;
	}
	if (found && scan->filter.stop_at_first) {
		scan->look_id = 0;
		bdfu_sim_scan_finish_now(scan, NULL);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
bdfu_sim_scan_deadline_cb(gpointer user_data)
{
	BdfuSimScan *scan = user_data;
	scan->deadline_id = 0;
	/* a last look at the deadline */
	if (bdfu_sim_scan_look_cb(scan) == G_SOURCE_REMOVE)
		return G_SOURCE_REMOVE;
	bdfu_sim_scan_finish_now(scan, NULL);
	return G_SOURCE_REMOVE;
}

static gboolean
bdfu_sim_scan_cancel_cb(gpointer user_data)
{
	BdfuSimScan *scan = user_data;
	scan->cancel_timer_id = 0;
	bdfu_sim_scan_finish_now(
	    scan, g_error_new_literal(BDFU_ERROR, BDFU_ERROR_CANCELLED, "the scan was cancelled"));
	return G_SOURCE_REMOVE;
}

/* may run inside g_cancellable_cancel(): finish from the clock instead */
static void
bdfu_sim_scan_cancelled(GCancellable *cancellable, gpointer user_data)
{
	BdfuSimScan *scan = user_data;
	if (scan->cancel_timer_id == 0)
		scan->cancel_timer_id = bdfu_sim_clock_timeout_add(
		    scan->backend->clock, 0, bdfu_sim_scan_cancel_cb, scan);
}

static void
bdfu_sim_backend_scan_async(BdfuBackend *backend,
			    const BdfuScanFilter *filter,
			    guint timeout_ms,
			    GCancellable *cancellable,
			    GAsyncReadyCallback callback,
			    gpointer user_data)
{
	BdfuSimBackend *self = BDFU_SIM_BACKEND(backend);
	BdfuSimScan *scan = g_new0(BdfuSimScan, 1);

	scan->backend = self;
	scan->task = g_task_new(self, NULL, callback, user_data);
	g_task_set_source_tag(scan->task, bdfu_sim_backend_scan_async);
	g_task_set_check_cancellable(scan->task, FALSE);
	if (filter != NULL) {
		scan->filter = *filter;
		scan->filter.addresses = NULL;
		scan->filter.name_glob = NULL;
		if (filter->addresses != NULL && filter->addresses[0] != NULL) {
			guint n = g_strv_length(filter->addresses);
			scan->addresses = g_new0(gchar *, n + 1);
			for (guint i = 0; i < n; i++) {
				gchar norm[18];
				scan->addresses[i] =
				    bdfu_address_normalize(filter->addresses[i], norm)
					? g_strdup(norm)
					: g_strdup(filter->addresses[i]);
			}
		}
		scan->name_glob = g_strdup(filter->name_glob);
	}
	scan->seen = g_hash_table_new_full(
	    g_str_hash, g_str_equal, NULL, (GDestroyNotify)bdfu_device_info_free);
	g_ptr_array_add(self->scans, scan);
	scan->look_id = bdfu_sim_clock_timeout_add(
	    self->clock, BDFU_SIM_SCAN_LOOK_MS, bdfu_sim_scan_look_cb, scan);
	scan->deadline_id =
	    bdfu_sim_clock_timeout_add(self->clock, timeout_ms, bdfu_sim_scan_deadline_cb, scan);
	if (cancellable != NULL) {
		scan->cancellable = g_object_ref(cancellable);
		scan->cancel_handler = g_cancellable_connect(
		    cancellable, G_CALLBACK(bdfu_sim_scan_cancelled), scan, NULL);
	}
}

static GPtrArray *
bdfu_sim_backend_scan_finish(BdfuBackend *backend, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(res, backend), NULL);
	return g_task_propagate_pointer(G_TASK(res), error);
}

/* connecting ------------------------------------------------------------------------------------
 */

static void
bdfu_sim_backend_connect_async(BdfuBackend *backend,
			       const gchar *address,
			       GCancellable *cancellable,
			       GAsyncReadyCallback callback,
			       gpointer user_data)
{
	BdfuSimBackend *self = BDFU_SIM_BACKEND(backend);
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	BdfuSimConnection *conn;
	gchar norm[18];

	g_task_set_source_tag(task, bdfu_sim_backend_connect_async);
	g_task_set_check_cancellable(task, FALSE);
	if (address == NULL || !bdfu_address_normalize(address, norm)) {
		g_task_return_new_error(task,
					BDFU_ERROR,
					BDFU_ERROR_INVALID_ARGUMENT,
					"'%s' is not a Bluetooth address",
					address != NULL ? address : "");
		return;
	}
	if (g_cancellable_is_cancelled(cancellable)) {
		g_task_return_new_error(task, BDFU_ERROR, BDFU_ERROR_CANCELLED, "cancelled");
		return;
	}
	for (guint i = 0; i < self->devices->len; i++) {
		BdfuSimDevice *dev = g_ptr_array_index(self->devices, i);
		gchar adv[18];
		BdfuDeviceMode mode;
		if (!bdfu_sim_device_advertising(dev, adv, &mode) || strcmp(adv, norm) != 0)
			continue;
		conn = bdfu_sim_connection_new(self, dev, norm, task);
		if (conn != NULL) {
			dev->conn = conn;
			g_ptr_array_add(self->conns, conn);
			bdfu_sim_clock_kick(self->clock);
		}
		return;
	}
	g_task_return_new_error(task,
				BDFU_ERROR,
				BDFU_ERROR_NOT_FOUND,
				"no simulated device advertises at %s now (it may be connected, "
				"resetting or silent)",
				norm);
}

static BdfuConnection *
bdfu_sim_backend_connect_finish(BdfuBackend *backend, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(res, backend), NULL);
	return g_task_propagate_pointer(G_TASK(res), error);
}

/* the clock -------------------------------------------------------------------------------------
 */

static guint
bdfu_sim_backend_timeout_add(BdfuBackend *backend, guint ms, GSourceFunc func, gpointer user_data)
{
	return bdfu_sim_clock_timeout_add(BDFU_SIM_BACKEND(backend)->clock, ms, func, user_data);
}

static void
bdfu_sim_backend_timeout_remove(BdfuBackend *backend, guint id)
{
	bdfu_sim_clock_timeout_remove(BDFU_SIM_BACKEND(backend)->clock, id);
}

static gint64
bdfu_sim_backend_get_time_us(BdfuBackend *backend)
{
	return (gint64)bdfu_sim_clock_now(BDFU_SIM_BACKEND(backend)->clock);
}

static const gchar *
bdfu_sim_backend_get_name(BdfuBackend *backend)
{
	return "sim";
}

/* the target's own voice, for the log; a link replaces these with its own while it lives */
static void
bdfu_sim_target_mode_changed(gpointer user_data, BdfuTargetMode mode, const gchar *reason)
{
	BdfuSimDevice *dev = user_data;
	g_debug("%s: %s", dev->id, reason != NULL ? reason : "mode changed");
}

static void
bdfu_sim_target_log(gpointer user_data, const gchar *message)
{
	BdfuSimDevice *dev = user_data;
	g_debug("%s: %s", dev->id, message);
}

static const BdfuTargetCallbacks bdfu_sim_target_callbacks = {
    .mode_changed = bdfu_sim_target_mode_changed,
    .log = bdfu_sim_target_log,
};

guint
bdfu_sim_backend_get_n_devices(BdfuSimBackend *self)
{
	g_return_val_if_fail(BDFU_IS_SIM_BACKEND(self), 0);
	return self->devices->len;
}

BdfuBackend *
bdfu_sim_backend_new(const gchar *profile_path, gboolean realtime, GError **error)
{
	g_autoptr(BdfuSimBackend) self = NULL;
	GPtrArray *devices = profile_path != NULL ? bdfu_sim_profile_load(profile_path, error)
						  : bdfu_sim_profile_default();
	guint64 now;

	if (devices == NULL)
		return NULL;
	self = g_object_new(BDFU_TYPE_SIM_BACKEND, NULL);
	self->devices = devices;
	self->clock = bdfu_sim_clock_new(realtime, &bdfu_sim_world, self);
	now = bdfu_sim_clock_now(self->clock);
	for (guint i = 0; i < devices->len; i++) {
		BdfuSimDevice *dev = g_ptr_array_index(devices, i);
		dev->target = bdfu_target_new(&dev->config, &bdfu_sim_target_callbacks, dev);
		bdfu_target_advance(dev->target, now);
	}
	bdfu_sim_clock_kick(self->clock);
	return BDFU_BACKEND(g_steal_pointer(&self));
}

static void
bdfu_sim_backend_dispose(GObject *object)
{
	BdfuSimBackend *self = BDFU_SIM_BACKEND(object);
	/* pending scans hold a reference on us through their task, so there are none here */
	g_clear_pointer(&self->clock, bdfu_sim_clock_free);
	G_OBJECT_CLASS(bdfu_sim_backend_parent_class)->dispose(object);
}

static void
bdfu_sim_backend_finalize(GObject *object)
{
	BdfuSimBackend *self = BDFU_SIM_BACKEND(object);
	g_ptr_array_unref(self->scans);
	g_ptr_array_unref(self->conns);
	if (self->devices != NULL)
		g_ptr_array_unref(self->devices);
	G_OBJECT_CLASS(bdfu_sim_backend_parent_class)->finalize(object);
}

static void
bdfu_sim_backend_init(BdfuSimBackend *self)
{
	self->conns = g_ptr_array_new();
	self->scans = g_ptr_array_new();
}

static void
bdfu_sim_backend_class_init(BdfuSimBackendClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	BdfuBackendClass *backend_class = BDFU_BACKEND_CLASS(klass);

	object_class->dispose = bdfu_sim_backend_dispose;
	object_class->finalize = bdfu_sim_backend_finalize;
	backend_class->scan_async = bdfu_sim_backend_scan_async;
	backend_class->scan_finish = bdfu_sim_backend_scan_finish;
	backend_class->connect_async = bdfu_sim_backend_connect_async;
	backend_class->connect_finish = bdfu_sim_backend_connect_finish;
	backend_class->timeout_add = bdfu_sim_backend_timeout_add;
	backend_class->timeout_remove = bdfu_sim_backend_timeout_remove;
	backend_class->get_time_us = bdfu_sim_backend_get_time_us;
	backend_class->get_name = bdfu_sim_backend_get_name;
}
