/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "BdfuPump"

#include "bdfu-pump.h"

#include "bluedfu/bdfu-error.h"

#include <string.h>

typedef struct {
	BdfuTarget *target;
	BdfuLink *link;
	BdfuEngine *engine;
	const BdfuPumpConfig *config;
	BdfuPumpStats *stats;
	BdfuFault faults[4];
	guint64 now;
	guint64 timer;	      /* response deadline, 0 = none */
	guint64 reconnect_at; /* valid when need_connect */
	gboolean need_connect;
	gboolean disconnect_pending; /* drop the link from the loop, never inside its callbacks */
	guint retries_left;
	gboolean done;
	gboolean failed;
	gboolean link_down;
	gboolean resumed_since_loss;
	guint64 verified_before_loss;
	GError *error;
} BdfuPump;

void
bdfu_pump_config_init(BdfuPumpConfig *config)
{
	memset(config, 0, sizeof(*config));
	bdfu_link_config_init(&config->link);
	bdfu_engine_options_init(&config->engine);
	config->retries = 3;
	config->response_timeout_ms = 10000;
}

/* the link is gone (the target dropped it, or we gave up on it): resume on a new one */
static void
bdfu_pump_lost(BdfuPump *pump, const gchar *why)
{
	if (pump->link_down)
		return;
	pump->link_down = TRUE;
	pump->timer = 0;
	if (pump->done || pump->failed)
		return;
	/* §3.6: a loss right after the final Execute means the target accepted and reset */
	if (bdfu_engine_final_execute_pending(pump->engine)) {
		pump->done = TRUE;
		return;
	}
	pump->verified_before_loss = bdfu_engine_get_verified_offset(pump->engine);
	pump->resumed_since_loss = FALSE;
	bdfu_engine_link_lost(pump->engine);
	if (pump->retries_left == 0) {
		pump->failed = TRUE;
		pump->error =
		    g_error_new(BDFU_ERROR,
				BDFU_ERROR_TRANSFER_FAILED,
				"%s, with no retries left (%" G_GUINT64_FORMAT " bytes verified)",
				why,
				pump->verified_before_loss);
		return;
	}
	pump->retries_left--;
	pump->stats->reconnects++;
	pump->need_connect = TRUE;
	pump->reconnect_at = pump->now + 1000000;
}

static void
bdfu_pump_status(BdfuPump *pump, BdfuEngineStatus status, GError *error)
{
	pump->timer = 0;
	if (status == BDFU_ENGINE_STATUS_DONE) {
		pump->done = TRUE;
		return;
	}
	if (status == BDFU_ENGINE_STATUS_FAILED) {
		/* a silent device or a broken link is worth a reconnect; a refusal is not */
		if (error != NULL && error->domain == BDFU_ERROR &&
		    (error->code == BDFU_ERROR_TIMEOUT ||
		     error->code == BDFU_ERROR_CONNECTION_FAILED) &&
		    (pump->retries_left > 0 || bdfu_engine_final_execute_pending(pump->engine))) {
			bdfu_pump_lost(pump, error->message);
			pump->disconnect_pending = TRUE;
			g_error_free(error);
			return;
		}
		pump->failed = TRUE;
		pump->error = error != NULL
				  ? error
				  : g_error_new_literal(BDFU_ERROR, BDFU_ERROR_FAILED, "failed");
		return;
	}
	g_clear_error(&error);
	if (bdfu_engine_is_awaiting_response(pump->engine)) {
		guint wait_ms = bdfu_engine_get_wait_ms(pump->engine);
		pump->timer = pump->now + (guint64)(wait_ms != 0 ? wait_ms
								 : pump->config->response_timeout_ms) *
					      1000;
	}
}

static gboolean
bdfu_pump_write_ctrl(gpointer user_data, const guint8 *buf, gsize len, GError **error)
{
	BdfuPump *pump = user_data;
	if (pump->link == NULL || !bdfu_link_write_ctrl(pump->link, buf, len)) {
		g_set_error_literal(error, BDFU_ERROR, BDFU_ERROR_CONNECTION_FAILED, "link down");
		return FALSE;
	}
	return TRUE;
}

static gboolean
bdfu_pump_write_data(gpointer user_data, const guint8 *buf, gsize len, GError **error)
{
	BdfuPump *pump = user_data;
	gboolean full = FALSE;
	if (pump->link == NULL) {
		g_set_error_literal(error, BDFU_ERROR, BDFU_ERROR_CONNECTION_FAILED, "link down");
		return FALSE;
	}
	if (bdfu_link_write_data(pump->link, buf, len, &full))
		return TRUE;
	if (full)
		return FALSE;
	g_set_error_literal(error, BDFU_ERROR, BDFU_ERROR_CONNECTION_FAILED, "link down");
	return FALSE;
}

static const BdfuEngineTransport bdfu_pump_transport = {
    .write_ctrl = bdfu_pump_write_ctrl,
    .write_data = bdfu_pump_write_data,
};

static void
bdfu_pump_engine_event(const BdfuEngineEvent *event, gpointer user_data)
{
	BdfuPump *pump = user_data;
	if (event->message != NULL && g_getenv("BDFU_PUMP_DEBUG") != NULL)
		g_debug("%.3f s: %s", pump->now / 1e6, event->message);
	if (event->kind == BDFU_ENGINE_EVENT_RESUMED) {
		pump->stats->resumes++;
		pump->resumed_since_loss = TRUE;
		if (event->offset == 0 && pump->verified_before_loss > 0 &&
		    (event->message == NULL || *event->message == '\0'))
			pump->stats->restarted_from_zero_silently = TRUE;
	}
	/* progress below what was verified before a loss, with no word about it */
	if (event->kind == BDFU_ENGINE_EVENT_PROGRESS && !pump->resumed_since_loss &&
	    pump->verified_before_loss > 0 && event->offset < pump->verified_before_loss)
		pump->stats->restarted_from_zero_silently = TRUE;
}

static void
bdfu_pump_ready(gpointer user_data)
{
	BdfuPump *pump = user_data;
	GError *error = NULL;
	BdfuEngineStatus status;
	gsize chunk = bdfu_link_get_mtu(pump->link) - 3;

	bdfu_engine_set_chunk_size(pump->engine, chunk & ~(gsize)3);
	if (!bdfu_link_enable_notifications(pump->link)) {
		bdfu_pump_status(pump,
				 BDFU_ENGINE_STATUS_FAILED,
				 g_error_new_literal(BDFU_ERROR,
						     BDFU_ERROR_CONNECTION_FAILED,
						     "cannot enable notifications"));
		return;
	}
	status = bdfu_engine_start(pump->engine, &error);
	bdfu_pump_status(pump, status, error);
}

static void
bdfu_pump_notification(gpointer user_data, const guint8 *buf, gsize len)
{
	BdfuPump *pump = user_data;
	GError *error = NULL;
	BdfuEngineStatus status;
	if (pump->done || pump->failed || pump->link_down)
		return;
	status = bdfu_engine_feed(pump->engine, buf, len, &error);
	bdfu_pump_status(pump, status, error);
}

static void
bdfu_pump_writable(gpointer user_data)
{
	BdfuPump *pump = user_data;
	GError *error = NULL;
	BdfuEngineStatus status;
	if (pump->done || pump->failed || pump->link_down)
		return;
	status = bdfu_engine_writable(pump->engine, &error);
	bdfu_pump_status(pump, status, error);
}

static void
bdfu_pump_ctrl_written(gpointer user_data, guint8 att_status)
{
	BdfuPump *pump = user_data;
	if (att_status != 0 && !pump->failed && !pump->done && !pump->link_down) {
		pump->failed = TRUE;
		pump->error = g_error_new(BDFU_ERROR,
					  BDFU_ERROR_PROTOCOL,
					  "Control Point write refused with ATT error 0x%02X",
					  att_status);
	}
}

static void
bdfu_pump_disconnected(gpointer user_data, guint8 reason)
{
	BdfuPump *pump = user_data;
	g_autofree gchar *why = g_strdup_printf("link lost (reason 0x%02X)", reason);
	bdfu_pump_lost(pump, why);
}

static const BdfuLinkCallbacks bdfu_pump_link_callbacks = {
    .ready = bdfu_pump_ready,
    .notification = bdfu_pump_notification,
    .ctrl_written = bdfu_pump_ctrl_written,
    .writable = bdfu_pump_writable,
    .disconnected = bdfu_pump_disconnected,
};

static guint64
bdfu_pump_next(BdfuPump *pump)
{
	guint64 next = bdfu_target_next_event_us(pump->target);
	if (pump->link != NULL)
		next = MIN(next, bdfu_link_next_event_us(pump->link));
	if (pump->timer != 0)
		next = MIN(next, pump->timer);
	if (pump->need_connect)
		next = MIN(next, pump->reconnect_at);
	return next;
}

static void
bdfu_pump_drop_link(BdfuPump *pump)
{
	if (pump->link == NULL)
		return;
	if (bdfu_link_is_connected(pump->link))
		bdfu_link_disconnect(pump->link);
	pump->stats->events += bdfu_link_get_events(pump->link);
	g_clear_pointer(&pump->link, bdfu_link_free);
}

static void
bdfu_pump_advance(BdfuTarget *target, BdfuLink *link, guint64 now)
{
	bdfu_target_advance(target, now);
	if (link != NULL)
		bdfu_link_advance(link, now);
}

void
bdfu_pump_idle(BdfuTarget *target, guint64 *now_us, guint64 us)
{
	guint64 end = *now_us + us;
	while (*now_us < end) {
		guint64 next = MIN(bdfu_target_next_event_us(target), end);
		*now_us = MAX(next, *now_us);
		bdfu_target_advance(target, *now_us);
		if (next == end)
			break;
	}
}

/* waits until the target advertises in DFU mode (after a reset), up to 30 s */
static gboolean
bdfu_pump_wait_dfu(BdfuTarget *target, guint64 *now_us)
{
	for (guint i = 0; i < 300; i++) {
		if (bdfu_target_get_mode(target) == BDFU_TARGET_MODE_DFU &&
		    !bdfu_target_is_connected(target))
			return TRUE;
		bdfu_pump_idle(target, now_us, 100000);
	}
	return FALSE;
}

static gboolean
bdfu_pump_part(BdfuPump *pump, BdfuPackagePart *part, GError **error)
{
	pump->engine = bdfu_engine_new(&bdfu_pump_transport, bdfu_pump_engine_event, pump);
	bdfu_engine_set_image(pump->engine, part->dat, part->bin);
	bdfu_engine_set_options(pump->engine, &pump->config->engine);
	pump->retries_left = pump->config->retries;
	pump->done = FALSE;
	pump->failed = FALSE;
	pump->link_down = FALSE;
	pump->verified_before_loss = 0;
	pump->need_connect = TRUE;
	pump->reconnect_at = pump->now;

	while (!pump->done && !pump->failed) {
		guint64 next;
		if (pump->disconnect_pending || (pump->link_down && pump->link != NULL)) {
			pump->disconnect_pending = FALSE;
			bdfu_pump_drop_link(pump);
			continue;
		}
		if (pump->need_connect && pump->reconnect_at <= pump->now) {
			pump->need_connect = FALSE;
			if (!bdfu_pump_wait_dfu(pump->target, &pump->now)) {
				g_set_error_literal(error,
						    BDFU_ERROR,
						    BDFU_ERROR_NOT_FOUND,
						    "the target never came back in DFU mode");
				g_clear_pointer(&pump->engine, bdfu_engine_free);
				return FALSE;
			}
			pump->link_down = FALSE;
			pump->link = bdfu_link_new(pump->target,
						   &pump->config->link,
						   pump->now,
						   pump->faults,
						   pump->config->n_faults,
						   &bdfu_pump_link_callbacks,
						   pump);
			if (pump->link == NULL) {
				g_set_error_literal(error,
						    BDFU_ERROR,
						    BDFU_ERROR_CONNECTION_FAILED,
						    "the target is not connectable");
				g_clear_pointer(&pump->engine, bdfu_engine_free);
				return FALSE;
			}
			continue;
		}
		if (pump->timer != 0 && pump->timer <= pump->now) {
			GError *timeout_error = NULL;
			BdfuEngineStatus status;
			pump->timer = 0;
			status = bdfu_engine_timeout(pump->engine, &timeout_error);
			bdfu_pump_status(pump, status, timeout_error);
			continue;
		}
		next = bdfu_pump_next(pump);
		if (next == G_MAXUINT64) {
			g_set_error_literal(error,
					    BDFU_ERROR,
					    BDFU_ERROR_TIMEOUT,
					    "nothing left to happen: the exchange is stuck");
			bdfu_pump_drop_link(pump);
			g_clear_pointer(&pump->engine, bdfu_engine_free);
			return FALSE;
		}
		pump->now = MAX(pump->now, next);
		bdfu_pump_advance(pump->target, pump->link, pump->now);
	}
	pump->stats->ctrl_writes += bdfu_engine_get_ctrl_writes(pump->engine);
	pump->stats->data_writes += bdfu_engine_get_data_writes(pump->engine);
	pump->stats->verified += bdfu_engine_get_verified_offset(pump->engine);
	pump->stats->total += bdfu_engine_get_total(pump->engine);
	/* let the target drop the link and reset */
	for (guint i = 0; i < 50 && pump->link != NULL && !pump->link_down; i++) {
		pump->now += 20000;
		bdfu_pump_advance(pump->target, pump->link, pump->now);
	}
	bdfu_pump_drop_link(pump);
	g_clear_pointer(&pump->engine, bdfu_engine_free);
	pump->disconnect_pending = FALSE;
	if (pump->failed) {
		g_propagate_error(error, g_steal_pointer(&pump->error));
		return FALSE;
	}
	return TRUE;
}

gboolean
bdfu_pump_update(BdfuTarget *target,
		 guint64 *now_us,
		 BdfuPackage *package,
		 const BdfuPumpConfig *config,
		 BdfuPumpStats *stats,
		 BdfuTargetMode *mode,
		 GError **error)
{
	BdfuPump pump = {0};
	guint64 start;

	memset(stats, 0, sizeof(*stats));
	pump.target = target;
	pump.config = config;
	pump.stats = stats;
	pump.now = *now_us;
	memcpy(pump.faults, config->faults, sizeof(pump.faults));

	/* a device in application mode is asked to enter the bootloader first */
	if (bdfu_target_get_mode(target) == BDFU_TARGET_MODE_APP) {
		bdfu_target_connect(target);
		bdfu_target_set_buttonless_indicate(target, TRUE);
		{
			guint8 enter = 0x01;
			bdfu_target_write_buttonless(target, &enter, 1);
		}
		bdfu_pump_idle(target, &pump.now, 50000);
		bdfu_target_confirm_indication(target);
		bdfu_pump_idle(target, &pump.now, 50000);
	}
	start = pump.now;
	for (guint i = 0; i < package->parts->len; i++) {
		if (!bdfu_pump_part(&pump, g_ptr_array_index(package->parts, i), error)) {
			*now_us = pump.now;
			return FALSE;
		}
	}
	stats->elapsed_us = pump.now - start;
	/* the device resets and decides what to boot */
	bdfu_pump_idle(target, &pump.now, 15000000);
	*now_us = pump.now;
	if (mode != NULL)
		*mode = bdfu_target_get_mode(target);
	return TRUE;
}
