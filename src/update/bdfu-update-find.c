/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bdfu-update"

#include "bluedfu/bdfu-error.h"
#include "core/bdfu-image.h"
#include "core/bdfu-proto.h"
#include "update/bdfu-update-private.h"

#define BDFU_BUTTONLESS_TIMEOUT_MS 5000
#define BDFU_REBOOT_TIMEOUT_MS 5000
#define BDFU_CONFIRM_SCAN_MS 2000
/* a bootloader that took the last Execute may advertise a little longer before it resets */
#define BDFU_PRESUMED_GRACE_US (5 * G_USEC_PER_SEC)

/* the bootloader adds one to the last octet; the app is therefore one below (unbonded) */
static gchar *
bdfu_address_decrement(const gchar *address)
{
	gchar *result = g_strdup(address);
	gint last = (g_ascii_xdigit_value(result[15]) << 4) | g_ascii_xdigit_value(result[16]);
	gchar tmp[3];
	g_snprintf(tmp, sizeof(tmp), "%02X", (guint)((last + 0xFF) & 0xFF));
	result[15] = tmp[0];
	result[16] = tmp[1];
	return result;
}

static void
bdfu_update_job_emit_found(BdfuUpdateJob *self, const BdfuDeviceInfo *info)
{
	GVariantBuilder builder;
	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&builder, "{sv}", "address", g_variant_new_string(info->address));
	g_variant_builder_add(&builder, "{sv}", "name",
			      g_variant_new_string(info->name != NULL ? info->name : ""));
	g_variant_builder_add(&builder, "{sv}", "mode",
			      g_variant_new_string(bdfu_device_mode_to_string(info->mode)));
	g_variant_builder_add(&builder, "{sv}", "rssi", g_variant_new_int16(info->rssi));
	bdfu_update_job_emit(self, "found", &builder);
}

static void
bdfu_update_job_not_found(BdfuUpdateJob *self)
{
	bdfu_update_job_return_error(
	    self,
	    g_error_new(BDFU_ERROR,
			BDFU_ERROR_NOT_FOUND,
			"no device matching '%s' was seen advertising within %u s.\n"
			"Fix: check that it is powered and in range, and that the name or "
			"address is right (`bluedfu scan --all` lists what is around)",
			self->target,
			self->options.scan_timeout_ms / 1000));
}

/* the bootloader of a journaled job may still hold the link its dead client left up */
static void
bdfu_update_job_resume_connected_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuConnection) conn =
	    bdfu_backend_connect_finish(BDFU_BACKEND(source), res, &error);
	BdfuDeviceInfo info = {0};

	if (self->task == NULL)
		return;
	if (conn == NULL || bdfu_connection_get_mode(conn) != BDFU_DEVICE_MODE_DFU) {
		if (conn != NULL)
			bdfu_connection_disconnect_async(conn, NULL, NULL, NULL);
		bdfu_update_job_not_found(self);
		return;
	}
	info.address = self->resume_address;
	info.mode = BDFU_DEVICE_MODE_DFU;
	bdfu_update_job_emit_found(self, &info);
	g_free(self->address);
	self->address = g_strdup(self->resume_address);
	g_free(self->dfu_address);
	self->dfu_address = g_strdup(self->resume_address);
	g_free(self->app_address);
	self->app_address = bdfu_address_decrement(self->resume_address);
	self->started_in_dfu = TRUE;
	bdfu_update_job_attach_connection(self, conn);
	self->step = BDFU_UPDATE_STEP_PART;
	bdfu_update_job_step(self);
}

static void
bdfu_update_job_find_cb(GObject *source, GAsyncResult *res, gpointer user_data)
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
	if (devices->len == 0 && self->resume_address != NULL) {
		bdfu_update_job_emit_message(self, "log",
					     "the bootloader does not advertise: trying the link a "
					     "previous run may have left up");
		bdfu_backend_connect_async(self->backend, self->resume_address,
					   bdfu_update_job_get_cancellable(self),
					   bdfu_update_job_resume_connected_cb, self);
		return;
	}
	if (devices->len == 0) {
		bdfu_update_job_not_found(self);
		return;
	}
	info = g_ptr_array_index(devices, 0);
	bdfu_update_job_emit_found(self, info);
	g_free(self->address);
	self->address = g_strdup(info->address);
	self->bonded = info->bonded || info->mode == BDFU_DEVICE_MODE_APP_BUTTONLESS_BONDED;

	switch (info->mode) {
	case BDFU_DEVICE_MODE_DFU:
		self->started_in_dfu = TRUE;
		self->dfu_address = g_strdup(info->address);
		/* unknown whether bonded: the app may come back at either address */
		self->app_address = bdfu_address_decrement(info->address);
		self->step = BDFU_UPDATE_STEP_PART;
		break;
	case BDFU_DEVICE_MODE_APP_BUTTONLESS:
	case BDFU_DEVICE_MODE_APP_BUTTONLESS_BONDED:
		self->app_address = g_strdup(info->address);
		self->dfu_address = self->bonded ? g_strdup(info->address)
						 : bdfu_address_increment(info->address);
		self->step = BDFU_UPDATE_STEP_ENTER_BOOTLOADER;
		break;
	case BDFU_DEVICE_MODE_LEGACY_DFU:
		bdfu_update_job_return_error(
		    self,
		    g_error_new(BDFU_ERROR,
				BDFU_ERROR_NOT_SUPPORTED,
				"%s runs a legacy DFU bootloader (nRF5 SDK 11 or older); bluedfu "
				"speaks Secure DFU only.\nFix: use a legacy DFU tool, or flash a "
				"Secure DFU bootloader with a programmer",
				info->address));
		return;
	default:
		bdfu_update_job_return_error(
		    self,
		    g_error_new(BDFU_ERROR,
				BDFU_ERROR_NOT_SUPPORTED,
				"%s is in application mode without the buttonless DFU service, so "
				"it cannot be asked to enter its bootloader.\nFix: put it in DFU "
				"mode by hand (usually: hold the DFU button while resetting), then "
				"run the update against 'DfuTarg'",
				info->address));
		return;
	}
	bdfu_update_job_step(self);
}

void
bdfu_update_job_find(BdfuUpdateJob *self)
{
	BdfuScanFilter filter = {0};
	gchar norm[18];
	g_autofree gchar *plus_one = NULL;
	gchar *addresses[3] = {NULL};

	if (bdfu_address_normalize(self->target, norm)) {
		/* a device already in the bootloader advertises one above its own address */
		plus_one = bdfu_address_increment(norm);
		addresses[0] = norm;
		addresses[1] = plus_one;
		filter.addresses = addresses;
	} else {
		filter.name_glob = self->target;
	}
	filter.stop_at_first = TRUE;
	bdfu_backend_scan_async(self->backend,
				&filter,
				self->options.scan_timeout_ms,
				bdfu_update_job_get_cancellable(self),
				bdfu_update_job_find_cb,
				self);
}

/* buttonless entry --------------------------------------------------------------------------- */

static gboolean
bdfu_update_job_buttonless_timeout_cb(gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	self->wait_timer = 0;
	if (self->buttonless_expect == 0) {
		/* the device never dropped the link after saying yes: drop it ourselves */
		bdfu_update_job_drop_connection(self);
		bdfu_update_job_on_disconnected(self, 0);
		return G_SOURCE_REMOVE;
	}
	bdfu_update_job_return_error(
	    self,
	    g_error_new(BDFU_ERROR,
			BDFU_ERROR_TIMEOUT,
			"the device did not answer the buttonless %s request within %u s.\n"
			"Fix: check that the application initialises the buttonless service "
			"(ble_dfu_buttonless_async_svci_init) and retry",
			self->buttonless_expect == BDFU_BUTTONLESS_OP_SET_NAME ? "set-name"
									     : "enter-bootloader",
			BDFU_BUTTONLESS_TIMEOUT_MS / 1000));
	return G_SOURCE_REMOVE;
}

static void
bdfu_update_job_buttonless_written_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	g_autoptr(GError) error = NULL;
	if (!bdfu_connection_write_buttonless_finish(BDFU_CONNECTION(source), res, &error)) {
		if (self->task == NULL || self->buttonless_expect == 0)
			return;
		g_prefix_error(&error, "buttonless request failed: ");
		bdfu_update_job_return_error(self, g_steal_pointer(&error));
	}
}

static void
bdfu_update_job_buttonless_send(BdfuUpdateJob *self, const guint8 *buf, gsize len)
{
	g_autoptr(GBytes) value = g_bytes_new(buf, len);
	self->buttonless_expect = buf[0];
	bdfu_update_job_wait(self, BDFU_BUTTONLESS_TIMEOUT_MS, bdfu_update_job_buttonless_timeout_cb);
	bdfu_connection_write_buttonless_async(self->conn,
					       value,
					       bdfu_update_job_get_cancellable(self),
					       bdfu_update_job_buttonless_written_cb,
					       self);
}

static void
bdfu_update_job_send_enter(BdfuUpdateJob *self)
{
	guint8 buf[4];
	gsize len = bdfu_proto_encode_buttonless_enter(buf);
	bdfu_update_job_emit_message(self, "entering-bootloader", "asking the application to "
								   "restart in its bootloader");
	bdfu_update_job_buttonless_send(self, buf, len);
}

void
bdfu_update_job_on_indication(BdfuUpdateJob *self, GBytes *value)
{
	gsize len = 0;
	const guint8 *buf = g_bytes_get_data(value, &len);
	guint8 opcode = 0;
	guint8 result = 0;
	g_autoptr(GError) error = NULL;

	if (self->task == NULL || self->buttonless_expect == 0)
		return;
	if (!bdfu_proto_decode_buttonless_response(buf, len, &opcode, &result, &error)) {
		bdfu_update_job_return_error(self, g_steal_pointer(&error));
		return;
	}
	if (opcode != self->buttonless_expect)
		return;
	self->buttonless_expect = 0;

	if (opcode == BDFU_BUTTONLESS_OP_SET_NAME) {
		/* a bootloader that cannot take a name is still found at address+1 */
		if (result != BDFU_BUTTONLESS_RES_SUCCESS)
			g_clear_pointer(&self->dfu_name, g_free);
		bdfu_update_job_send_enter(self);
		return;
	}
	if (result == BDFU_BUTTONLESS_RES_NOT_BONDED) {
		bdfu_update_job_return_error(
		    self,
		    g_error_new_literal(BDFU_ERROR,
					BDFU_ERROR_CONNECTION_FAILED,
					"the device requires a bond before it enters its bootloader "
					"(buttonless with bonds, 8EC90004).\nFix: pair with the device "
					"first (bluetoothctl pair <address>)"));
		return;
	}
	if (result != BDFU_BUTTONLESS_RES_SUCCESS) {
		bdfu_update_job_return_error(
		    self,
		    g_error_new(BDFU_ERROR,
				BDFU_ERROR_REJECTED,
				"the application refused to enter its bootloader: %s.\n"
				"Fix: check the application's buttonless DFU handler",
				bdfu_proto_buttonless_result_to_string(result)));
		return;
	}
	/* now the device resets; wait for it to drop the link */
	bdfu_update_job_emit_message(self, "rebooting", "the device is restarting into its "
							"bootloader");
	bdfu_update_job_wait(self, BDFU_REBOOT_TIMEOUT_MS, bdfu_update_job_buttonless_timeout_cb);
}

static void
bdfu_update_job_buttonless_enabled_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	g_autoptr(GError) error = NULL;
	guint8 buf[2 + BDFU_BUTTONLESS_NAME_MAX];
	gsize len;

	if (!bdfu_connection_enable_buttonless_finish(BDFU_CONNECTION(source), res, &error)) {
		g_prefix_error(&error, "cannot enable buttonless indications: ");
		bdfu_update_job_return_error(self, g_steal_pointer(&error));
		return;
	}
	if (self->bonded) {
		bdfu_update_job_send_enter(self);
		return;
	}
	/* a unique name lets us find this very device again, even among many bootloaders */
	self->dfu_name = g_strdup_printf("Dfu%05u", g_random_int_range(0, 100000));
	len = bdfu_proto_encode_buttonless_set_name(buf, self->dfu_name);
	bdfu_update_job_buttonless_send(self, buf, len);
}

static void
bdfu_update_job_app_connected_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(BdfuConnection) conn =
	    bdfu_backend_connect_finish(BDFU_BACKEND(source), res, &error);

	if (self->task == NULL)
		return;
	if (conn == NULL) {
		bdfu_update_job_return_error(self, g_steal_pointer(&error));
		return;
	}
	bdfu_update_job_attach_connection(self, conn);
	if (bdfu_connection_get_mode(conn) == BDFU_DEVICE_MODE_DFU) {
		/* it was already in the bootloader at this address (bonded bootloader) */
		self->step = BDFU_UPDATE_STEP_PART;
		bdfu_update_job_step(self);
		return;
	}
	if (bdfu_connection_get_mode(conn) == BDFU_DEVICE_MODE_APP_BUTTONLESS_BONDED &&
	    !self->bonded) {
		/* adverts don't tell 8EC90003 from 8EC90004; the GATT table does: the bonded
		 * bootloader keeps the application's address */
		self->bonded = TRUE;
		g_free(self->dfu_address);
		self->dfu_address = g_strdup(self->app_address);
	}
	bdfu_connection_enable_buttonless_async(conn,
						bdfu_update_job_get_cancellable(self),
						bdfu_update_job_buttonless_enabled_cb,
						self);
}

void
bdfu_update_job_enter_bootloader(BdfuUpdateJob *self)
{
	bdfu_backend_connect_async(self->backend,
				   self->app_address,
				   bdfu_update_job_get_cancellable(self),
				   bdfu_update_job_app_connected_cb,
				   self);
}

void
bdfu_update_job_rediscover_bootloader(BdfuUpdateJob *self, GAsyncReadyCallback callback)
{
	BdfuScanFilter filter = {0};
	gchar *addresses[2] = {self->dfu_address, NULL};

	filter.addresses = addresses;
	filter.name_glob = self->dfu_name;
	filter.dfu_only = TRUE;
	filter.stop_at_first = TRUE;
	bdfu_backend_scan_async(self->backend,
				&filter,
				self->options.scan_timeout_ms,
				bdfu_update_job_get_cancellable(self),
				callback,
				self);
}

/* confirming the application booted --------------------------------------------------------- */

gchar *
bdfu_update_job_explain_no_boot(BdfuUpdateJob *self, gboolean came_back_in_dfu)
{
	GString *str = g_string_new(NULL);
	BdfuFinding *cause = NULL;

	for (guint i = 0; i < self->findings->len; i++) {
		BdfuFinding *finding = g_ptr_array_index(self->findings, i);
		if (finding->severity == BDFU_SEVERITY_ERROR) {
			cause = finding;
			break;
		}
	}
	if (came_back_in_dfu)
		g_string_append(str,
				"the transfer completed, but the device came back in DFU mode "
				"instead of starting the application");
	else
		g_string_append_printf(str,
				       "the transfer completed, but the application was not seen "
				       "running within %u s: the device went silent",
				       self->options.boot_timeout_ms / 1000);
	if (cause != NULL) {
		g_string_append_printf(str, ".\nWhy: %s\nFix: %s", cause->message, cause->fix);
	} else if (came_back_in_dfu) {
		g_string_append(str,
				".\nWhy: the bootloader found no valid application (boot "
				"validation failed, the SoftDevice changed, or the application is "
				"still missing after a SoftDevice/bootloader update).\nFix: run "
				"`bluedfu doctor` on the package, then send an application package");
	} else {
		g_string_append(str,
				".\nWhy: the bootloader started the image, but it does not "
				"advertise: it may crash at start-up, be linked for another start "
				"address, or simply not advertise.\nFix: check the application "
				"with a debugger or its log output; `bluedfu inspect` shows where "
				"the image is linked");
	}
	return g_string_free(str, FALSE);
}

static void
bdfu_update_job_confirm_scan(BdfuUpdateJob *self);

static void
bdfu_update_job_fw_revision_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	g_autofree gchar *revision =
	    bdfu_connection_read_fw_revision_finish(BDFU_CONNECTION(source), res, NULL);
	GVariantBuilder builder;

	if (self->task == NULL)
		return;
	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&builder, "{sv}", "address", g_variant_new_string(self->app_address));
	if (revision != NULL)
		g_variant_builder_add(&builder, "{sv}", "fw_revision", g_variant_new_string(revision));
	bdfu_update_job_emit(self, "app-booted", &builder);
	bdfu_update_job_return_success(self);
}

static void
bdfu_update_job_app_seen_connected_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	g_autoptr(BdfuConnection) conn =
	    bdfu_backend_connect_finish(BDFU_BACKEND(source), res, NULL);

	if (self->task == NULL)
		return;
	if (conn == NULL) {
		/* it advertised as an application: that is the proof; the revision is a bonus */
		bdfu_update_job_fw_revision_cb(NULL, NULL, self);
		return;
	}
	bdfu_update_job_attach_connection(self, conn);
	bdfu_connection_read_fw_revision_async(conn,
					       bdfu_update_job_get_cancellable(self),
					       bdfu_update_job_fw_revision_cb,
					       self);
}

static void
bdfu_update_job_confirm_scan_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) devices = bdfu_backend_scan_finish(BDFU_BACKEND(source), res, &error);

	if (self->task == NULL)
		return;
	if (devices == NULL) {
		bdfu_update_job_return_error(self, g_steal_pointer(&error));
		return;
	}
	for (guint i = 0; i < devices->len; i++) {
		BdfuDeviceInfo *info = g_ptr_array_index(devices, i);
		if (bdfu_device_mode_is_app(info->mode)) {
			g_free(self->app_address);
			self->app_address = g_strdup(info->address);
			bdfu_backend_connect_async(self->backend,
						   info->address,
						   bdfu_update_job_get_cancellable(self),
						   bdfu_update_job_app_seen_connected_cb,
						   self);
			return;
		}
		if (info->mode == BDFU_DEVICE_MODE_DFU) {
			self->seen_dfu_after_update = TRUE;
			if (bdfu_backend_get_time_us(self->backend) - self->confirm_start_us >=
				BDFU_PRESUMED_GRACE_US &&
			    bdfu_update_job_retry_presumed_part(self))
				return;
		}
	}
	if (bdfu_backend_get_time_us(self->backend) < self->boot_deadline_us) {
		bdfu_update_job_confirm_scan(self);
		return;
	}
	bdfu_update_job_return_error(
	    self,
	    g_error_new_literal(BDFU_ERROR,
				BDFU_ERROR_APP_DID_NOT_BOOT,
				bdfu_update_job_explain_no_boot(self,
								self->seen_dfu_after_update)));
}

static void
bdfu_update_job_confirm_scan(BdfuUpdateJob *self)
{
	BdfuScanFilter filter = {0};
	gchar *addresses[3] = {self->app_address, self->dfu_address, NULL};
	gint64 left_ms =
	    (self->boot_deadline_us - bdfu_backend_get_time_us(self->backend)) / 1000;

	filter.addresses = addresses;
	filter.all = TRUE;
	filter.stop_at_first = TRUE;
	bdfu_backend_scan_async(self->backend,
				&filter,
				(guint)CLAMP(left_ms, 100, BDFU_CONFIRM_SCAN_MS),
				bdfu_update_job_get_cancellable(self),
				bdfu_update_job_confirm_scan_cb,
				self);
}

void
bdfu_update_job_confirm_boot(BdfuUpdateJob *self)
{
	bdfu_update_job_drop_connection(self);
	self->confirm_start_us = bdfu_backend_get_time_us(self->backend);
	self->boot_deadline_us = self->confirm_start_us + (gint64)self->options.boot_timeout_ms * 1000;
	bdfu_update_job_emit_message(self, "rebooting", "waiting for the application to start");
	bdfu_update_job_confirm_scan(self);
}
