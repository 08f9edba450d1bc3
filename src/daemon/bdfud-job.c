/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bluedfud"

#include "daemon/bdfud-job.h"

#include "bluedfu/bdfu-dbus.h"
#include "bluedfu/bdfu-error.h"
#include "daemon/bdfud-introspect.h"

/* progress properties change at most this often (PropertiesChanged is not free) */
#define BDFUD_JOB_PROPERTIES_INTERVAL_MS 250
/* the journal is rewritten at most this often during a transfer */
#define BDFUD_JOB_JOURNAL_INTERVAL_US (1 * G_USEC_PER_SEC)

struct _BdfudJob {
	GObject parent_instance;
	GDBusConnection *bus;
	BdfudJournal *journal; /* not owned: the manager's */
	BdfudJournalEntry *entry;
	GBytes *zip;
	gchar *path;
	guint registration_id;

	BdfuUpdateJob *job;
	GCancellable *cancellable;
	gboolean resumed;

	const gchar *state; /* queued, running, finished */
	gchar *result;
	gint exit_code;
	gchar *error_name;
	gchar *error_message;
	guint parts;
	guint part; /* 1-based, 0 before the first */
	guint64 bytes_sent;
	guint64 bytes_total;
	gdouble speed;

	GHashTable *changed; /* property names waiting for PropertiesChanged */
	guint changed_timer;
	gint64 journaled_us;
};

G_DEFINE_TYPE(BdfudJob, bdfud_job, G_TYPE_OBJECT)

enum { SIGNAL_FINISHED, SIGNAL_CANCEL_REQUESTED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

static GVariant *
bdfud_job_get_property_value(BdfudJob *self, const gchar *name)
{
	const BdfudJournalEntry *e = self->entry;
	if (g_strcmp0(name, "Id") == 0)
		return g_variant_new_uint32(e->id);
	if (g_strcmp0(name, "Target") == 0)
		return g_variant_new_string(e->target);
	if (g_strcmp0(name, "Address") == 0)
		return g_variant_new_string(e->address != NULL ? e->address : "");
	if (g_strcmp0(name, "State") == 0)
		return g_variant_new_string(self->state);
	if (g_strcmp0(name, "Part") == 0)
		return g_variant_new_uint32(self->part);
	if (g_strcmp0(name, "Parts") == 0)
		return g_variant_new_uint32(self->parts);
	if (g_strcmp0(name, "BytesSent") == 0)
		return g_variant_new_uint64(self->bytes_sent);
	if (g_strcmp0(name, "BytesTotal") == 0)
		return g_variant_new_uint64(self->bytes_total);
	if (g_strcmp0(name, "Speed") == 0)
		return g_variant_new_double(self->speed);
	if (g_strcmp0(name, "Result") == 0)
		return g_variant_new_string(self->result != NULL ? self->result : "");
	if (g_strcmp0(name, "ExitCode") == 0)
		return g_variant_new_int32(self->exit_code);
	if (g_strcmp0(name, "ErrorName") == 0)
		return g_variant_new_string(self->error_name != NULL ? self->error_name : "");
	if (g_strcmp0(name, "ErrorMessage") == 0)
		return g_variant_new_string(self->error_message != NULL ? self->error_message : "");
	return NULL;
}

static void
bdfud_job_flush_properties(BdfudJob *self)
{
	GVariantBuilder changed;
	GHashTableIter iter;
	gpointer key;

	if (self->changed_timer != 0) {
		g_source_remove(self->changed_timer);
		self->changed_timer = 0;
	}
	if (self->registration_id == 0 || g_hash_table_size(self->changed) == 0) {
		g_hash_table_remove_all(self->changed);
		return;
	}
	g_variant_builder_init(&changed, G_VARIANT_TYPE_VARDICT);
	g_hash_table_iter_init(&iter, self->changed);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_variant_builder_add(
		    &changed, "{sv}", (const gchar *)key, bdfud_job_get_property_value(self, key));
	g_hash_table_remove_all(self->changed);
	g_dbus_connection_emit_signal(
	    self->bus,
	    NULL,
	    self->path,
	    "org.freedesktop.DBus.Properties",
	    "PropertiesChanged",
	    g_variant_new("(sa{sv}as)", BDFU_DBUS_JOB_IFACE, &changed, NULL),
	    NULL);
}

static gboolean
bdfud_job_changed_timer_cb(gpointer user_data)
{
	BdfudJob *self = user_data;
	self->changed_timer = 0;
	bdfud_job_flush_properties(self);
	return G_SOURCE_REMOVE;
}

/* progress is throttled; state changes go out at once */
static void
bdfud_job_changed(BdfudJob *self, const gchar *name, gboolean now)
{
	g_hash_table_add(self->changed, (gpointer)name);
	if (now) {
		bdfud_job_flush_properties(self);
		return;
	}
	if (self->changed_timer == 0)
		self->changed_timer = g_timeout_add(
		    BDFUD_JOB_PROPERTIES_INTERVAL_MS, bdfud_job_changed_timer_cb, self);
}

static void
bdfud_job_journal(BdfudJob *self, gboolean force)
{
	gint64 now = g_get_monotonic_time();
	g_autoptr(GError) error = NULL;

	if (self->result != NULL)
		return;
	if (!force && now - self->journaled_us < BDFUD_JOB_JOURNAL_INTERVAL_US)
		return;
	self->journaled_us = now;
	if (!bdfud_journal_write(self->journal, self->entry, &error))
		g_warning("job %u: cannot write its journal: %s", self->entry->id, error->message);
}

static void
bdfud_job_emit_event(BdfudJob *self, const gchar *name, GVariant *data)
{
	if (self->registration_id == 0)
		return;
	g_dbus_connection_emit_signal(self->bus,
				      NULL,
				      self->path,
				      BDFU_DBUS_JOB_IFACE,
				      "Event",
				      g_variant_new("(s@a{sv})", name, data),
				      NULL);
}

static void
bdfud_job_event_cb(BdfuUpdateJob *job, const gchar *name, GVariant *data, gpointer user_data)
{
	BdfudJob *self = user_data;
	const gchar *dfu_address = bdfu_update_job_get_dfu_address(job);
	const gchar *address = bdfu_update_job_get_address(job);
	guint part = bdfu_update_job_get_part(job);
	gboolean force_journal = FALSE;

	if (address != NULL && g_strcmp0(address, self->entry->address) != 0) {
		g_free(self->entry->address);
		self->entry->address = g_strdup(address);
		bdfud_job_changed(self, "Address", TRUE);
		force_journal = TRUE;
	}
	if (dfu_address != NULL && g_strcmp0(dfu_address, self->entry->dfu_address) != 0) {
		g_free(self->entry->dfu_address);
		self->entry->dfu_address = g_strdup(dfu_address);
		force_journal = TRUE;
	}
	if (self->parts == 0 && bdfu_update_job_get_parts(job) > 0) {
		self->parts = bdfu_update_job_get_parts(job);
		bdfud_job_changed(self, "Parts", TRUE);
	}
	if (g_strcmp0(name, "progress") == 0) {
		gdouble speed = 0;
		self->bytes_sent = bdfu_update_job_get_bytes_done(job);
		self->bytes_total = bdfu_update_job_get_bytes_total(job);
		if (g_variant_lookup(data, "speed", "d", &speed))
			self->speed = speed;
		bdfud_job_changed(self, "BytesSent", FALSE);
		bdfud_job_changed(self, "BytesTotal", FALSE);
		bdfud_job_changed(self, "Speed", FALSE);
	}
	if (g_strcmp0(name, "part-start") == 0 || g_strcmp0(name, "part-done") == 0)
		force_journal = TRUE;
	if (part + 1 != self->part && part < self->parts) {
		self->part = part + 1;
		bdfud_job_changed(self, "Part", TRUE);
	}
	self->entry->part = part;
	self->entry->verified = bdfu_update_job_get_bytes_done(job);
	bdfud_job_journal(self, force_journal);
	bdfud_job_emit_event(self, name, data);
}

static void
bdfud_job_finish(BdfudJob *self, const GError *error)
{
	BdfudResult result = {0};
	g_autoptr(GError) error_local = NULL;

	self->result = g_strdup(bdfu_update_outcome_from_error(error));
	self->exit_code = bdfu_error_to_exit_code(error);
	if (error != NULL) {
		self->error_name = g_strdup_printf(
		    BDFU_DBUS_ERROR_PREFIX "%s",
		    error->domain == BDFU_ERROR ? bdfu_error_to_string((BdfuError)error->code)
						: "Failed");
		self->error_message = g_strdup(error->message);
	}
	self->state = "finished";
	result.id = self->entry->id;
	result.target = self->entry->target;
	result.address = self->entry->address;
	result.result = self->result;
	result.exit_code = self->exit_code;
	result.message = error != NULL ? error->message : "application booted";
	result.finished = g_get_real_time() / G_USEC_PER_SEC;
	/* the result is on disk before the journal entry goes: a job never silently vanishes */
	if (!bdfud_journal_add_result(self->journal, &result, &error_local))
		g_warning(
		    "job %u: cannot record its result: %s", self->entry->id, error_local->message);
	else
		bdfud_journal_remove(self->journal, self->entry->id);

	bdfud_job_changed(self, "Result", FALSE);
	bdfud_job_changed(self, "ExitCode", FALSE);
	bdfud_job_changed(self, "ErrorName", FALSE);
	bdfud_job_changed(self, "ErrorMessage", FALSE);
	bdfud_job_changed(self, "BytesSent", FALSE);
	bdfud_job_changed(self, "State", TRUE);
	g_message("job %u (%s): %s%s%s",
		  self->entry->id,
		  self->entry->target,
		  self->result,
		  error != NULL ? ": " : "",
		  error != NULL ? error->message : "");
	g_signal_emit(self, signals[SIGNAL_FINISHED], 0);
}

static void
bdfud_job_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(BdfudJob) self = user_data;
	g_autoptr(GError) error = NULL;

	if (bdfu_update_job_run_finish(BDFU_UPDATE_JOB(source), res, &error))
		self->bytes_sent = self->bytes_total;
	bdfud_job_finish(self, error);
}

void
bdfud_job_start(BdfudJob *self, BdfuBackend *backend, gboolean resumed)
{
	const BdfudJournalEntry *e = self->entry;
	/* after a restart the device may sit in its bootloader under another name: its address
	 * finds it there (the job also looks at address+1) */
	const gchar *target = resumed && e->address != NULL ? e->address : e->target;

	g_return_if_fail(self->job == NULL);
	self->resumed = resumed;
	self->job = bdfu_update_job_new(backend, self->zip, target, &e->options);
	if (resumed) {
		bdfu_update_job_set_first_part(self->job, e->part);
		if (e->dfu_address != NULL)
			bdfu_update_job_set_resume_address(self->job, e->dfu_address);
	}
	g_signal_connect(self->job, "event", G_CALLBACK(bdfud_job_event_cb), self);
	self->state = "running";
	bdfud_job_changed(self, "State", TRUE);
	if (resumed) {
		GVariantBuilder builder;
		g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
		g_variant_builder_add(&builder,
				      "{sv}",
				      "message",
				      g_variant_new_string("bluedfud restarted: resuming the job "
							   "from what the device has verified"));
		g_variant_builder_add(&builder, "{sv}", "part", g_variant_new_uint32(e->part + 1));
		bdfud_job_emit_event(self, "job-resumed", g_variant_builder_end(&builder));
	}
	bdfu_update_job_run_async(
	    self->job, self->cancellable, bdfud_job_done_cb, g_object_ref(self));
}

void
bdfud_job_cancel(BdfudJob *self)
{
	g_autoptr(GError) error = NULL;
	if (self->result != NULL)
		return;
	if (self->job != NULL) {
		g_cancellable_cancel(self->cancellable);
		return;
	}
	error = g_error_new_literal(
	    BDFU_ERROR, BDFU_ERROR_CANCELLED, "the update was cancelled before it started");
	bdfud_job_finish(self, error);
}

static void
bdfud_job_method_call(GDBusConnection *connection,
		      const gchar *sender,
		      const gchar *object_path,
		      const gchar *interface_name,
		      const gchar *method_name,
		      GVariant *parameters,
		      GDBusMethodInvocation *invocation,
		      gpointer user_data)
{
	BdfudJob *self = user_data;
	if (g_strcmp0(method_name, "Cancel") == 0) {
		g_signal_emit(self, signals[SIGNAL_CANCEL_REQUESTED], 0, invocation);
		return;
	}
	g_dbus_method_invocation_return_error(
	    invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD, "no method %s", method_name);
}

static GVariant *
bdfud_job_dbus_get_property(GDBusConnection *connection,
			    const gchar *sender,
			    const gchar *object_path,
			    const gchar *interface_name,
			    const gchar *property_name,
			    GError **error,
			    gpointer user_data)
{
	GVariant *value = bdfud_job_get_property_value(user_data, property_name);
	if (value == NULL)
		g_set_error(error,
			    G_DBUS_ERROR,
			    G_DBUS_ERROR_UNKNOWN_PROPERTY,
			    "no property %s",
			    property_name);
	return value;
}

static const GDBusInterfaceVTable bdfud_job_vtable = {
    .method_call = bdfud_job_method_call,
    .get_property = bdfud_job_dbus_get_property,
};

gboolean
bdfud_job_export(BdfudJob *self, GError **error)
{
	self->registration_id =
	    g_dbus_connection_register_object(self->bus,
					      self->path,
					      bdfud_introspect_get_interface(BDFU_DBUS_JOB_IFACE),
					      &bdfud_job_vtable,
					      self,
					      NULL,
					      error);
	return self->registration_id != 0;
}

void
bdfud_job_unexport(BdfudJob *self)
{
	bdfud_job_flush_properties(self);
	if (self->registration_id != 0) {
		g_dbus_connection_unregister_object(self->bus, self->registration_id);
		self->registration_id = 0;
	}
}

const gchar *
bdfud_job_get_path(BdfudJob *self)
{
	return self->path;
}

guint
bdfud_job_get_id(BdfudJob *self)
{
	return self->entry->id;
}

const gchar *
bdfud_job_get_adapter(BdfudJob *self)
{
	return self->entry->adapter;
}

const gchar *
bdfud_job_get_result(BdfudJob *self)
{
	return self->result;
}

static void
bdfud_job_finalize(GObject *object)
{
	BdfudJob *self = BDFUD_JOB(object);
	bdfud_job_unexport(self);
	if (self->job != NULL)
		g_signal_handlers_disconnect_by_data(self->job, self);
	g_clear_object(&self->job);
	g_clear_object(&self->cancellable);
	g_clear_object(&self->bus);
	g_clear_pointer(&self->entry, bdfud_journal_entry_free);
	g_clear_pointer(&self->zip, g_bytes_unref);
	g_clear_pointer(&self->changed, g_hash_table_unref);
	g_free(self->path);
	g_free(self->result);
	g_free(self->error_name);
	g_free(self->error_message);
	G_OBJECT_CLASS(bdfud_job_parent_class)->finalize(object);
}

static void
bdfud_job_class_init(BdfudJobClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = bdfud_job_finalize;
	signals[SIGNAL_FINISHED] = g_signal_new("finished",
						G_TYPE_FROM_CLASS(klass),
						G_SIGNAL_RUN_LAST,
						0,
						NULL,
						NULL,
						NULL,
						G_TYPE_NONE,
						0);
	signals[SIGNAL_CANCEL_REQUESTED] = g_signal_new("cancel-requested",
							G_TYPE_FROM_CLASS(klass),
							G_SIGNAL_RUN_LAST,
							0,
							NULL,
							NULL,
							NULL,
							G_TYPE_NONE,
							1,
							G_TYPE_DBUS_METHOD_INVOCATION);
}

static void
bdfud_job_init(BdfudJob *self)
{
	self->state = "queued";
	self->cancellable = g_cancellable_new();
	self->changed = g_hash_table_new(g_str_hash, g_str_equal);
}

BdfudJob *
bdfud_job_new(GDBusConnection *bus,
	      BdfudJournal *journal,
	      BdfudJournalEntry *entry,
	      GBytes *zip,
	      guint n_parts,
	      guint64 bytes_total)
{
	BdfudJob *self = g_object_new(BDFUD_TYPE_JOB, NULL);
	self->bus = g_object_ref(bus);
	self->journal = journal;
	self->entry = entry;
	self->zip = g_bytes_ref(zip);
	self->parts = n_parts;
	self->bytes_total = bytes_total;
	self->path = g_strdup_printf(BDFU_DBUS_JOB_PREFIX "%u", entry->id);
	bdfud_job_journal(self, TRUE);
	return self;
}
