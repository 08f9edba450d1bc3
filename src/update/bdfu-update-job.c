/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bdfu-update"

#include "update/bdfu-update-job.h"

#include <string.h>

#include "bluedfu/bdfu-error.h"
#include "core/bdfu-engine.h"
#include "core/bdfu-image.h"
#include "core/bdfu-proto.h"
#include "update/bdfu-update-private.h"

G_DEFINE_TYPE(BdfuUpdateJob, bdfu_update_job, G_TYPE_OBJECT)

enum { SIGNAL_EVENT, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

void
bdfu_update_options_init(BdfuUpdateOptions *options)
{
	memset(options, 0, sizeof(*options));
	options->prn = 12;
	options->retries = 3;
	options->resume = TRUE;
	options->verify_boot = TRUE;
	options->scan_timeout_ms = 10000;
	options->boot_timeout_ms = 20000;
	options->response_timeout_ms = 10000;
}

const gchar *
bdfu_update_outcome_from_error(const GError *error)
{
	if (error == NULL)
		return "app-booted";
	if (g_error_matches(error, BDFU_ERROR, BDFU_ERROR_CANCELLED) ||
	    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return "cancelled";
	if (g_error_matches(error, BDFU_ERROR, BDFU_ERROR_APP_DID_NOT_BOOT))
		return "app-did-not-boot";
	return "failed";
}

void
bdfu_update_job_emit(BdfuUpdateJob *self, const gchar *name, GVariantBuilder *builder)
{
	GVariant *data;
	if (builder == NULL) {
		GVariantBuilder empty;
		g_variant_builder_init(&empty, G_VARIANT_TYPE_VARDICT);
		data = g_variant_builder_end(&empty);
	} else {
		data = g_variant_builder_end(builder);
	}
	g_variant_ref_sink(data);
	g_signal_emit(self, signals[SIGNAL_EVENT], 0, name, data);
	g_variant_unref(data);
}

void
bdfu_update_job_emit_message(BdfuUpdateJob *self, const gchar *name, const gchar *message)
{
	GVariantBuilder builder;
	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&builder, "{sv}", "message", g_variant_new_string(message));
	if (self->address != NULL)
		g_variant_builder_add(&builder, "{sv}", "address", g_variant_new_string(self->address));
	bdfu_update_job_emit(self, name, &builder);
}

static void
bdfu_update_job_finalize(GObject *object)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(object);
	bdfu_update_job_drop_connection(self);
	bdfu_update_job_cancel_timers(self);
	g_clear_pointer(&self->engine, bdfu_engine_free);
	g_clear_object(&self->backend);
	g_clear_pointer(&self->zip, g_bytes_unref);
	g_clear_pointer(&self->package, bdfu_package_free);
	g_clear_pointer(&self->findings, g_ptr_array_unref);
	g_free(self->target);
	g_free(self->address);
	g_free(self->app_address);
	g_free(self->dfu_address);
	g_free(self->dfu_name);
	g_free(self->resume_address);
	G_OBJECT_CLASS(bdfu_update_job_parent_class)->finalize(object);
}

static void
bdfu_update_job_class_init(BdfuUpdateJobClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = bdfu_update_job_finalize;
	signals[SIGNAL_EVENT] = g_signal_new("event",
					     G_TYPE_FROM_CLASS(object_class),
					     G_SIGNAL_RUN_LAST,
					     0,
					     NULL,
					     NULL,
					     NULL,
					     G_TYPE_NONE,
					     2,
					     G_TYPE_STRING,
					     G_TYPE_VARIANT);
}

static void
bdfu_update_job_init(BdfuUpdateJob *self)
{
	self->findings = g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_finding_free);
}

BdfuUpdateJob *
bdfu_update_job_new(BdfuBackend *backend,
		    GBytes *package_zip,
		    const gchar *target,
		    const BdfuUpdateOptions *options)
{
	BdfuUpdateJob *self = g_object_new(BDFU_TYPE_UPDATE_JOB, NULL);
	self->backend = g_object_ref(backend);
	self->zip = package_zip != NULL ? g_bytes_ref(package_zip) : NULL;
	self->target = g_strdup(target);
	if (options != NULL)
		self->options = *options;
	else
		bdfu_update_options_init(&self->options);
	return self;
}

guint
bdfu_update_job_get_part(BdfuUpdateJob *self)
{
	return self->part;
}

const gchar *
bdfu_update_job_get_dfu_address(BdfuUpdateJob *self)
{
	return self->dfu_address;
}

guint
bdfu_update_job_get_parts(BdfuUpdateJob *self)
{
	return self->package != NULL ? self->package->parts->len : 0;
}

guint64
bdfu_update_job_get_bytes_done(BdfuUpdateJob *self)
{
	return self->bytes_before_part + self->part_bytes_done;
}

guint64
bdfu_update_job_get_bytes_total(BdfuUpdateJob *self)
{
	return self->bytes_total;
}

const gchar *
bdfu_update_job_get_target(BdfuUpdateJob *self)
{
	return self->target;
}

const gchar *
bdfu_update_job_get_address(BdfuUpdateJob *self)
{
	return self->address;
}

void
bdfu_update_job_set_first_part(BdfuUpdateJob *self, guint part)
{
	self->first_part = part;
}

void
bdfu_update_job_set_resume_address(BdfuUpdateJob *self, const gchar *dfu_address)
{
	g_free(self->resume_address);
	self->resume_address = g_strdup(dfu_address);
}

/* the package is parsed and checked before anything goes on air */
static gboolean
bdfu_update_job_check_package(BdfuUpdateJob *self, GError **error)
{
	g_autoptr(GError) error_local = NULL;

	self->package = bdfu_package_new_from_bytes(self->zip, NULL, &error_local);
	if (self->package == NULL) {
		g_propagate_error(error, g_steal_pointer(&error_local));
		return FALSE;
	}
	if (!bdfu_package_check_sendable(self->package, error))
		return FALSE;
	if (self->first_part >= self->package->parts->len)
		self->first_part = 0;
	for (guint i = 0; i < self->package->parts->len; i++) {
		BdfuPackagePart *part = g_ptr_array_index(self->package->parts, i);
		g_autoptr(GPtrArray) findings =
		    g_ptr_array_new_with_free_func((GDestroyNotify)bdfu_finding_free);
		gsize len = 0;
		const guint8 *bin = g_bytes_get_data(part->bin, &len);

		if (i >= self->first_part)
			self->bytes_total += len;
		bdfu_image_check(part->init, bin, len, findings);
		for (guint j = 0; j < findings->len; j++) {
			BdfuFinding *finding = g_ptr_array_index(findings, j);
			GVariantBuilder builder;
			g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
			g_variant_builder_add(&builder, "{sv}", "part",
					      g_variant_new_string(bdfu_part_type_to_string(part->type)));
			g_variant_builder_add(&builder, "{sv}", "id", g_variant_new_string(finding->id));
			g_variant_builder_add(&builder, "{sv}", "severity",
					      g_variant_new_string(bdfu_severity_to_string(finding->severity)));
			g_variant_builder_add(&builder, "{sv}", "message",
					      g_variant_new_string(finding->message));
			g_variant_builder_add(&builder, "{sv}", "fix", g_variant_new_string(finding->fix));
			bdfu_update_job_emit(self, "finding", &builder);

			/* a corrupt package would only be refused at the very end */
			if (!self->options.force && (g_strcmp0(finding->id, "hash-mismatch") == 0 ||
						     g_strcmp0(finding->id, "size-mismatch") == 0)) {
				g_set_error(error,
					    BDFU_ERROR,
					    BDFU_ERROR_BAD_PACKAGE,
					    "%s: %s\nFix: %s",
					    bdfu_part_type_to_string(part->type),
					    finding->message,
					    finding->fix);
				return FALSE;
			}
		}
		while (findings->len > 0)
			g_ptr_array_add(self->findings, g_ptr_array_steal_index(findings, 0));
	}
	return TRUE;
}

static void
bdfu_update_job_disconnect_cancellable(BdfuUpdateJob *self)
{
	if (self->cancel_id != 0 && self->task != NULL) {
		g_cancellable_disconnect(g_task_get_cancellable(self->task), self->cancel_id);
		self->cancel_id = 0;
	}
}

void
bdfu_update_job_return_error(BdfuUpdateJob *self, GError *error)
{
	GTask *task;

	bdfu_update_job_disconnect_cancellable(self);
	task = g_steal_pointer(&self->task);
	if (task == NULL) {
		g_error_free(error);
		return;
	}
	/* whichever async step noticed it, a cancel ends as one error (exit 9) */
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_error_free(error);
		error = g_error_new_literal(BDFU_ERROR, BDFU_ERROR_CANCELLED,
					    "the update was cancelled");
	}
	bdfu_update_job_cancel_timers(self);
	bdfu_update_job_drop_connection(self);
	g_task_return_error(task, error);
	g_object_unref(task);
}

void
bdfu_update_job_return_success(BdfuUpdateJob *self)
{
	GTask *task;

	bdfu_update_job_disconnect_cancellable(self);
	task = g_steal_pointer(&self->task);
	if (task == NULL)
		return;
	bdfu_update_job_cancel_timers(self);
	bdfu_update_job_drop_connection(self);
	g_task_return_boolean(task, TRUE);
	g_object_unref(task);
}

gboolean
bdfu_update_job_return_if_cancelled(BdfuUpdateJob *self)
{
	if (self->task == NULL)
		return TRUE;
	if (!g_cancellable_is_cancelled(g_task_get_cancellable(self->task)))
		return FALSE;
	bdfu_update_job_return_error(self,
				     g_error_new_literal(BDFU_ERROR,
							 BDFU_ERROR_CANCELLED,
							 "the update was cancelled"));
	return TRUE;
}

static void
bdfu_update_job_entered_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfuUpdateJob *self = BDFU_UPDATE_JOB(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) devices = bdfu_backend_scan_finish(BDFU_BACKEND(source), res, &error);
	BdfuDeviceInfo *info;
	GVariantBuilder builder;

	if (self->task == NULL)
		return;
	if (devices == NULL) {
		bdfu_update_job_return_error(self, g_steal_pointer(&error));
		return;
	}
	if (devices->len == 0) {
		bdfu_update_job_return_error(
		    self,
		    g_error_new(BDFU_ERROR,
				BDFU_ERROR_NOT_FOUND,
				"the device was asked to enter its bootloader, but no bootloader "
				"was seen advertising at %s within %u s.\nFix: check that the "
				"application's buttonless service is wired to the bootloader",
				self->dfu_address,
				self->options.scan_timeout_ms / 1000));
		return;
	}
	info = g_ptr_array_index(devices, 0);
	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&builder, "{sv}", "address", g_variant_new_string(info->address));
	g_variant_builder_add(&builder, "{sv}", "name",
			      g_variant_new_string(info->name != NULL ? info->name : ""));
	bdfu_update_job_emit(self, "in-bootloader", &builder);
	g_free(self->dfu_address);
	self->dfu_address = g_strdup(info->address);
	bdfu_update_job_return_success(self);
}

/* the step machine: each _ready callback advances self->step and re-enters here */
void
bdfu_update_job_step(BdfuUpdateJob *self)
{
	g_autoptr(GError) error = NULL;

	if (bdfu_update_job_return_if_cancelled(self))
		return;

	switch (self->step) {
	case BDFU_UPDATE_STEP_CHECK_PACKAGE:
		if (self->options.enter_only) {
			self->step++;
			bdfu_update_job_step(self);
			return;
		}
		if (!bdfu_update_job_check_package(self, &error)) {
			bdfu_update_job_return_error(self, g_steal_pointer(&error));
			return;
		}
		self->step++;
		/* fall through */
	case BDFU_UPDATE_STEP_FIND:
		bdfu_update_job_find(self);
		return;
	case BDFU_UPDATE_STEP_ENTER_BOOTLOADER:
		bdfu_update_job_enter_bootloader(self);
		return;
	case BDFU_UPDATE_STEP_PART:
		if (self->options.enter_only) {
			bdfu_update_job_rediscover_bootloader(self, bdfu_update_job_entered_cb);
			return;
		}
		if (self->part >= self->package->parts->len) {
			self->step = BDFU_UPDATE_STEP_CONFIRM_BOOT;
			bdfu_update_job_step(self);
			return;
		}
		bdfu_update_job_part_begin(self);
		return;
	case BDFU_UPDATE_STEP_CONFIRM_BOOT:
		if (!self->options.verify_boot) {
			bdfu_update_job_return_success(self);
			return;
		}
		bdfu_update_job_confirm_boot(self);
		return;
	default:
		g_assert_not_reached();
	}
}

void
bdfu_update_job_run_async(BdfuUpdateJob *self,
			  GCancellable *cancellable,
			  GAsyncReadyCallback callback,
			  gpointer user_data)
{
	g_return_if_fail(BDFU_IS_UPDATE_JOB(self));
	g_return_if_fail(self->task == NULL);

	self->task = g_task_new(self, cancellable, callback, user_data);
	g_task_set_source_tag(self->task, bdfu_update_job_run_async);
	/* the job reports a cancel itself, as BDFU_ERROR_CANCELLED */
	g_task_set_check_cancellable(self->task, FALSE);
	if (cancellable != NULL)
		self->cancel_id = g_cancellable_connect(cancellable,
							G_CALLBACK(bdfu_update_job_cancelled_cb),
							self,
							NULL);
	self->step = BDFU_UPDATE_STEP_CHECK_PACKAGE;
	self->part = self->first_part;
	bdfu_update_job_step(self);
}

gboolean
bdfu_update_job_run_finish(BdfuUpdateJob *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(res, self), FALSE);
	return g_task_propagate_boolean(G_TASK(res), error);
}
