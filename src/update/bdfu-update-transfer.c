/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bdfu-update"

#include "bluedfu/bdfu-error.h"
#include "core/bdfu-proto.h"
#include "update/bdfu-update-private.h"

#define BDFU_RECONNECT_DELAY_MS 1000
#define BDFU_RESET_WAIT_MS 3000
#define BDFU_PROGRESS_INTERVAL_US 250000

static BdfuPackagePart *
bdfu_update_job_current_part(BdfuUpdateJob *self)
{
	return g_ptr_array_index(self->package->parts, self->part);
}

static void
bdfu_update_job_handle_status(BdfuUpdateJob *self, BdfuEngineStatus status, GError *error);
static void
bdfu_update_job_part_finish(BdfuUpdateJob *self);

/* the link went while the last Execute was on its way: the device most likely took it and is
 * resetting (PROTOCOL.md §3.6); confirming the boot tells, and a device still in its
 * bootloader gets the image resumed */
static void
bdfu_update_job_presume_part_done(BdfuUpdateJob *self)
{
	bdfu_update_job_emit_message(self,
				     "log",
				     "the link dropped right after the final Execute: the "
				     "device is activating the image");
	self->part_done = TRUE;
	self->presumed_part = self->part + 1;
	bdfu_update_job_part_finish(self);
}

/* the engine's transport ----------------------------------------------------------------------- */

static void
bdfu_update_job_ctrl_written_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	g_autoptr(GError) error = NULL;

	if (bdfu_connection_write_ctrl_finish(BDFU_CONNECTION(source), res, &error))
		return;
	/* a lost link is handled by the disconnected signal */
	if (self->task == NULL || self->conn != BDFU_CONNECTION(source) ||
	    !bdfu_connection_is_connected(self->conn))
		return;
	if (self->engine != NULL && bdfu_engine_final_execute_pending(self->engine)) {
		bdfu_update_job_drop_connection(self);
		bdfu_update_job_presume_part_done(self);
		return;
	}
	g_prefix_error(&error, "Control Point write failed: ");
	bdfu_update_job_handle_status(self, BDFU_ENGINE_STATUS_FAILED, g_steal_pointer(&error));
}

static gboolean
bdfu_update_job_write_ctrl(gpointer user_data, const guint8 *buf, gsize len, GError **error)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	g_autoptr(GBytes) value = NULL;

	if (self->conn == NULL || !bdfu_connection_is_connected(self->conn)) {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_CONNECTION_FAILED,
				    "the device disconnected");
		return FALSE;
	}
	value = g_bytes_new(buf, len);
	bdfu_connection_write_ctrl_async(self->conn,
					 value,
					 bdfu_update_job_get_cancellable(self),
					 bdfu_update_job_ctrl_written_cb,
					 self);
	return TRUE;
}

static gboolean
bdfu_update_job_write_data(gpointer user_data, const guint8 *buf, gsize len, GError **error)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	if (self->conn == NULL) {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_CONNECTION_FAILED,
				    "the device disconnected");
		return FALSE;
	}
	return bdfu_connection_write_data(self->conn, buf, len, error);
}

static const BdfuEngineTransport bdfu_update_transport = {
    .write_ctrl = bdfu_update_job_write_ctrl,
    .write_data = bdfu_update_job_write_data,
};

/* progress ------------------------------------------------------------------------------------- */

static void
bdfu_update_job_emit_progress(BdfuUpdateJob *self, gboolean force)
{
	gint64 now = bdfu_backend_get_time_us(self->backend);
	guint64 done = self->bytes_before_part + self->part_bytes_done;
	guint permille = self->bytes_total > 0 ? (guint)(done * 1000 / self->bytes_total) : 1000;
	gdouble elapsed = (gdouble)(now - self->part_start_us) / G_USEC_PER_SEC;
	gdouble speed = 0;
	GVariantBuilder builder;

	if (!force && permille == self->last_progress_permille &&
	    now - self->last_progress_us < BDFU_PROGRESS_INTERVAL_US)
		return;
	self->last_progress_permille = permille;
	self->last_progress_us = now;
	if (elapsed > 0 && self->part_bytes_done > self->part_start_offset)
		speed = (gdouble)(self->part_bytes_done - self->part_start_offset) / elapsed;

	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&builder, "{sv}", "part", g_variant_new_uint32(self->part + 1));
	g_variant_builder_add(&builder, "{sv}", "parts",
			      g_variant_new_uint32(self->package->parts->len));
	g_variant_builder_add(&builder, "{sv}", "bytes", g_variant_new_uint64(done));
	g_variant_builder_add(&builder, "{sv}", "total", g_variant_new_uint64(self->bytes_total));
	g_variant_builder_add(&builder, "{sv}", "part_bytes",
			      g_variant_new_uint64(self->part_bytes_done));
	g_variant_builder_add(&builder, "{sv}", "part_total", g_variant_new_uint64(self->part_size));
	g_variant_builder_add(&builder, "{sv}", "percent", g_variant_new_double(permille / 10.0));
	g_variant_builder_add(&builder, "{sv}", "speed", g_variant_new_double(speed));
	if (speed > 0)
		g_variant_builder_add(&builder,
				      "{sv}",
				      "eta",
				      g_variant_new_double((self->bytes_total - done) / speed));
	bdfu_update_job_emit(self, "progress", &builder);
}

static void
bdfu_update_job_engine_event_cb(const BdfuEngineEvent *event, gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	GVariantBuilder builder;

	switch (event->kind) {
	case BDFU_ENGINE_EVENT_LOG:
		if (self->options.verbose)
			bdfu_update_job_emit_message(self, "log", event->message);
		break;
	case BDFU_ENGINE_EVENT_PROGRESS:
		self->part_bytes_done = event->offset;
		bdfu_update_job_emit_progress(self, event->offset == event->total);
		break;
	case BDFU_ENGINE_EVENT_RESUMED:
	case BDFU_ENGINE_EVENT_RETRY:
		self->part_bytes_done = event->offset;
		g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
		g_variant_builder_add(&builder, "{sv}", "part", g_variant_new_uint32(self->part + 1));
		g_variant_builder_add(&builder, "{sv}", "offset", g_variant_new_uint64(event->offset));
		g_variant_builder_add(&builder, "{sv}", "total", g_variant_new_uint64(event->total));
		g_variant_builder_add(&builder, "{sv}", "message",
				      g_variant_new_string(event->message != NULL ? event->message : ""));
		bdfu_update_job_emit(self,
				     event->kind == BDFU_ENGINE_EVENT_RESUMED ? "resumed" : "retry",
				     &builder);
		break;
	case BDFU_ENGINE_EVENT_INIT_DONE:
		if (self->options.verbose)
			bdfu_update_job_emit_message(self, "log", "init packet accepted");
		break;
	default:
		break;
	}
}

/* finishing an image ----------------------------------------------------------------------------- */

static void
bdfu_update_job_part_finish(BdfuUpdateJob *self)
{
	BdfuPackagePart *part = bdfu_update_job_current_part(self);
	GVariantBuilder builder;

	bdfu_update_job_cancel_timers(self);
	bdfu_update_job_drop_connection(self);
	self->in_transfer = FALSE;
	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&builder, "{sv}", "part", g_variant_new_uint32(self->part + 1));
	g_variant_builder_add(&builder, "{sv}", "parts",
			      g_variant_new_uint32(self->package->parts->len));
	g_variant_builder_add(&builder, "{sv}", "type",
			      g_variant_new_string(bdfu_part_type_to_string(part->type)));
	bdfu_update_job_emit(self, "part-done", &builder);

	self->bytes_before_part += self->part_size;
	self->part_bytes_done = 0;
	if (self->presumed_part != self->part + 1)
		self->presumed_part = 0;
	g_clear_pointer(&self->engine, bdfu_engine_free);
	/* an unbonded bootloader's GATT cache must not outlive it (BLUEZ.md §1.7) */
	if (!self->bonded && self->dfu_address != NULL)
		bdfu_backend_forget_device(self->backend, self->dfu_address);
	self->part++;
	self->step = BDFU_UPDATE_STEP_PART;
	bdfu_update_job_step(self);
}

static gboolean
bdfu_update_job_reset_wait_cb(gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	self->wait_timer = 0;
	/* the target normally drops the link itself; don't wait for it forever */
	bdfu_update_job_part_finish(self);
	return G_SOURCE_REMOVE;
}

/* engine driving ----------------------------------------------------------------------------------- */

static gboolean
bdfu_update_job_response_timeout_cb(gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	GError *error = NULL;
	BdfuEngineStatus status;

	self->response_timer = 0;
	if (self->engine == NULL || !self->in_transfer)
		return G_SOURCE_REMOVE;
	status = bdfu_engine_timeout(self->engine, &error);
	bdfu_update_job_handle_status(self, status, error);
	return G_SOURCE_REMOVE;
}

static void
bdfu_update_job_link_lost(BdfuUpdateJob *self, const gchar *why);

static void
bdfu_update_job_handle_status(BdfuUpdateJob *self, BdfuEngineStatus status, GError *error)
{
	g_autoptr(GError) error_local = error;
	BdfuPackagePart *part;

	if (self->task == NULL)
		return;
	if (self->response_timer != 0) {
		bdfu_backend_timeout_remove(self->backend, self->response_timer);
		self->response_timer = 0;
	}
	switch (status) {
	case BDFU_ENGINE_STATUS_CONTINUE:
		if (bdfu_engine_is_awaiting_response(self->engine)) {
			guint wait_ms = bdfu_engine_get_wait_ms(self->engine);
			self->response_timer =
			    bdfu_backend_timeout_add(self->backend,
						     wait_ms != 0 ? wait_ms
								  : self->options.response_timeout_ms,
						     bdfu_update_job_response_timeout_cb,
						     self);
		}
		return;
	case BDFU_ENGINE_STATUS_DONE:
		self->part_done = TRUE;
		self->in_transfer = FALSE;
		self->part_bytes_done = self->part_size;
		bdfu_update_job_emit_progress(self, TRUE);
		bdfu_update_job_wait(self, BDFU_RESET_WAIT_MS, bdfu_update_job_reset_wait_cb);
		return;
	case BDFU_ENGINE_STATUS_FAILED:
	default:
		break;
	}

	/* a silent device or a broken link is worth a reconnect; a refusal is not */
	if (error_local != NULL && error_local->domain == BDFU_ERROR &&
	    (error_local->code == BDFU_ERROR_TIMEOUT ||
	     error_local->code == BDFU_ERROR_CONNECTION_FAILED) &&
	    self->retries_left > 0) {
		bdfu_update_job_drop_connection(self);
		bdfu_update_job_link_lost(self, error_local->message);
		return;
	}
	part = bdfu_update_job_current_part(self);
	if (error_local == NULL)
		error_local = g_error_new_literal(BDFU_ERROR, BDFU_ERROR_FAILED, "transfer failed");
	g_prefix_error(&error_local,
		       "part %u/%u (%s): ",
		       self->part + 1,
		       self->package->parts->len,
		       bdfu_part_type_to_string(part->type));
	bdfu_update_job_return_error(self, g_steal_pointer(&error_local));
}

void
bdfu_update_job_on_notification(BdfuUpdateJob *self, GBytes *value)
{
	gsize len = 0;
	const guint8 *buf = g_bytes_get_data(value, &len);
	GError *error = NULL;
	BdfuEngineStatus status;

	if (self->engine == NULL || !self->in_transfer)
		return;
	status = bdfu_engine_feed(self->engine, buf, len, &error);
	bdfu_update_job_handle_status(self, status, error);
}

void
bdfu_update_job_on_writable(BdfuUpdateJob *self)
{
	GError *error = NULL;
	BdfuEngineStatus status;

	if (self->engine == NULL || !self->in_transfer)
		return;
	status = bdfu_engine_writable(self->engine, &error);
	bdfu_update_job_handle_status(self, status, error);
}

/* connecting to the bootloader ------------------------------------------------------------------- */

static void
bdfu_update_job_dfu_enabled_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	g_autoptr(GError) error = NULL;
	GError *engine_error = NULL;
	BdfuEngineStatus status;
	gsize chunk;
	guint16 mtu;

	if (!bdfu_connection_enable_dfu_finish(BDFU_CONNECTION(source), res, &error)) {
		if (self->task == NULL)
			return;
		g_prefix_error(&error, "cannot enable Control Point notifications: ");
		bdfu_update_job_handle_status(self, BDFU_ENGINE_STATUS_FAILED, g_steal_pointer(&error));
		return;
	}
	if (self->task == NULL || self->conn != BDFU_CONNECTION(source))
		return;

	mtu = bdfu_connection_get_mtu(self->conn);
	if (self->options.mtu != 0 && self->options.mtu < mtu)
		mtu = self->options.mtu;
	chunk = MAX(mtu, 23) - 3;
	bdfu_engine_set_chunk_size(self->engine, chunk & ~(gsize)3);

	GVariantBuilder builder;
	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&builder, "{sv}", "address",
			      g_variant_new_string(bdfu_connection_get_address(self->conn)));
	g_variant_builder_add(&builder, "{sv}", "mtu", g_variant_new_uint16(mtu));
	bdfu_update_job_emit(self, "connected", &builder);

	self->in_transfer = TRUE;
	self->part_start_us = bdfu_backend_get_time_us(self->backend);
	self->part_start_offset = bdfu_engine_get_verified_offset(self->engine);
	status = bdfu_engine_start(self->engine, &engine_error);
	bdfu_update_job_handle_status(self, status, engine_error);
}

static void
bdfu_update_job_dfu_connected_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuConnection) conn =
	    bdfu_backend_connect_finish(BDFU_BACKEND(source), res, &error);

	if (self->task == NULL)
		return;
	if (conn == NULL) {
		if (self->retries_left > 0 && !g_error_matches(error, BDFU_ERROR, BDFU_ERROR_CANCELLED)) {
			bdfu_update_job_link_lost(self, error->message);
			return;
		}
		bdfu_update_job_return_error(self, g_steal_pointer(&error));
		return;
	}
	if (bdfu_connection_get_mode(conn) != BDFU_DEVICE_MODE_DFU) {
		bdfu_update_job_return_error(
		    self,
		    g_error_new(BDFU_ERROR,
				BDFU_ERROR_CONNECTION_FAILED,
				"%s does not offer the Secure DFU service (Control Point "
				"8EC90001 and Packet 8EC90002) although it advertised as a "
				"bootloader.\nFix: power-cycle the device and retry",
				bdfu_connection_get_address(conn)));
		return;
	}
	bdfu_update_job_attach_connection(self, conn);
	bdfu_connection_enable_dfu_async(conn,
					 bdfu_update_job_get_cancellable(self),
					 bdfu_update_job_dfu_enabled_cb,
					 self);
}

static void
bdfu_update_job_dfu_found_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) devices = bdfu_backend_scan_finish(BDFU_BACKEND(source), res, &error);
	BdfuDeviceInfo *info;

	if (self->task == NULL)
		return;
	if (devices == NULL) {
		bdfu_update_job_return_error(self, g_steal_pointer(&error));
		return;
	}
	if (devices->len == 0) {
		if (self->retries_left > 0 && self->in_transfer) {
			bdfu_update_job_link_lost(self, "the bootloader is not advertising");
			return;
		}
		bdfu_update_job_return_error(
		    self,
		    g_error_new(BDFU_ERROR,
				self->part > 0 || self->in_transfer ? BDFU_ERROR_TRANSFER_FAILED
								     : BDFU_ERROR_NOT_FOUND,
				"the bootloader of %s was not seen advertising (at %s%s%s) within "
				"%u s.\nFix: if the device shows no sign of life, hold its DFU "
				"button while resetting it and run the same command against "
				"'DfuTarg'; a resumed update continues where it stopped",
				self->target,
				self->dfu_address,
				self->dfu_name != NULL ? " or as " : "",
				self->dfu_name != NULL ? self->dfu_name : "",
				self->options.scan_timeout_ms / 1000));
		return;
	}
	info = g_ptr_array_index(devices, 0);
	if (g_strcmp0(info->address, self->dfu_address) != 0) {
		g_free(self->dfu_address);
		self->dfu_address = g_strdup(info->address);
	}
	bdfu_backend_connect_async(self->backend,
				   info->address,
				   bdfu_update_job_get_cancellable(self),
				   bdfu_update_job_dfu_connected_cb,
				   self);
}

static gboolean
bdfu_update_job_reconnect_cb(gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	self->wait_timer = 0;
	bdfu_update_job_rediscover_bootloader(self, bdfu_update_job_dfu_found_cb);
	return G_SOURCE_REMOVE;
}

static void
bdfu_update_job_link_lost(BdfuUpdateJob *self, const gchar *why)
{
	GVariantBuilder builder;

	if (self->engine != NULL)
		bdfu_engine_link_lost(self->engine);
	self->retries_left--;
	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&builder, "{sv}", "part", g_variant_new_uint32(self->part + 1));
	g_variant_builder_add(&builder, "{sv}", "verified",
			      g_variant_new_uint64(self->engine != NULL
						       ? bdfu_engine_get_verified_offset(self->engine)
						       : 0));
	g_variant_builder_add(&builder, "{sv}", "retries_left", g_variant_new_uint32(self->retries_left));
	g_variant_builder_add(&builder, "{sv}", "message", g_variant_new_string(why));
	bdfu_update_job_emit(self, "link-lost", &builder);
	bdfu_update_job_wait(self, BDFU_RECONNECT_DELAY_MS, bdfu_update_job_reconnect_cb);
}

void
bdfu_update_job_on_disconnected(BdfuUpdateJob *self, guint reason)
{
	g_autofree gchar *why = NULL;

	if (self->task == NULL)
		return;
	bdfu_update_job_drop_connection(self);

	if (self->step == BDFU_UPDATE_STEP_ENTER_BOOTLOADER) {
		bdfu_update_job_cancel_timers(self);
		self->buttonless_expect = 0;
		if (!self->bonded)
			bdfu_backend_forget_device(self->backend, self->app_address);
		self->step = BDFU_UPDATE_STEP_PART;
		bdfu_update_job_step(self);
		return;
	}
	if (self->step != BDFU_UPDATE_STEP_PART)
		return;
	if (self->part_done) {
		bdfu_update_job_part_finish(self);
		return;
	}
	if (self->engine != NULL && bdfu_engine_final_execute_pending(self->engine)) {
		/* the target resets right after the last Execute; its answer may be lost */
		bdfu_update_job_presume_part_done(self);
		return;
	}
	if (!self->in_transfer)
		return;
	if (self->response_timer != 0) {
		bdfu_backend_timeout_remove(self->backend, self->response_timer);
		self->response_timer = 0;
	}
	if (self->retries_left == 0) {
		BdfuPackagePart *part = bdfu_update_job_current_part(self);
		bdfu_update_job_return_error(
		    self,
		    g_error_new(BDFU_ERROR,
				BDFU_ERROR_TRANSFER_FAILED,
				"part %u/%u (%s): the link to %s dropped %u times; giving up.\n"
				"The device keeps what it verified (%" G_GUINT64_FORMAT " of %"
				G_GUINT64_FORMAT " bytes).\nFix: move closer or remove interference, "
				"then run the same command again: it resumes, it does not restart",
				self->part + 1,
				self->package->parts->len,
				bdfu_part_type_to_string(part->type),
				self->dfu_address,
				self->options.retries + 1,
				self->engine != NULL ? bdfu_engine_get_verified_offset(self->engine) : 0,
				self->part_size));
		return;
	}
	why = g_strdup_printf("the device disconnected (reason 0x%02X)", reason);
	bdfu_update_job_link_lost(self, why);
}

void
bdfu_update_job_part_begin(BdfuUpdateJob *self)
{
	BdfuPackagePart *part = bdfu_update_job_current_part(self);
	BdfuEngineOptions options;
	GVariantBuilder builder;

	if (self->engine == NULL) {
		self->engine = bdfu_engine_new(&bdfu_update_transport,
					       bdfu_update_job_engine_event_cb,
					       self);
		bdfu_engine_set_image(self->engine, part->dat, part->bin);
		bdfu_engine_options_init(&options);
		options.prn = self->options.prn;
		options.resume = self->options.resume;
		bdfu_engine_set_options(self->engine, &options);
		self->retries_left = self->options.retries;
		self->part_done = FALSE;
		self->part_size = g_bytes_get_size(part->bin);
		self->part_bytes_done = 0;

		g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
		g_variant_builder_add(&builder, "{sv}", "part", g_variant_new_uint32(self->part + 1));
		g_variant_builder_add(&builder, "{sv}", "parts",
				      g_variant_new_uint32(self->package->parts->len));
		g_variant_builder_add(&builder, "{sv}", "type",
				      g_variant_new_string(bdfu_part_type_to_string(part->type)));
		g_variant_builder_add(&builder, "{sv}", "size", g_variant_new_uint64(self->part_size));
		bdfu_update_job_emit(self, "part-start", &builder);
	}
	/* a bonded bootloader may already be on the line (same address as the app) */
	if (self->conn != NULL && bdfu_connection_is_connected(self->conn) &&
	    bdfu_connection_get_mode(self->conn) == BDFU_DEVICE_MODE_DFU) {
		bdfu_connection_enable_dfu_async(self->conn,
						 bdfu_update_job_get_cancellable(self),
						 bdfu_update_job_dfu_enabled_cb,
						 self);
		return;
	}
	bdfu_update_job_rediscover_bootloader(self, bdfu_update_job_dfu_found_cb);
}

gboolean
bdfu_update_job_retry_presumed_part(BdfuUpdateJob *self)
{
	BdfuPackagePart *part;
	if (self->presumed_part == 0 || self->presumed_part != self->part ||
	    self->options.retries == 0)
		return FALSE;
	self->part = self->presumed_part - 1;
	self->presumed_part = 0;
	part = bdfu_update_job_current_part(self);
	self->bytes_before_part -= g_bytes_get_size(part->bin);
	bdfu_update_job_emit_message(self,
				     "log",
				     "the device is still in its bootloader: the final Execute did "
				     "not arrive; resuming the image");
	self->step = BDFU_UPDATE_STEP_PART;
	bdfu_update_job_part_begin(self);
	return TRUE;
}
