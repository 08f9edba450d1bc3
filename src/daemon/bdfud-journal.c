/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bluedfud"

#include "daemon/bdfud-journal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "bluedfu/bdfu-error.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(cJSON, cJSON_Delete)

struct _BdfudJournal {
	gchar *jobs_dir;
	gchar *packages_dir;
	gchar *results_path;
	guint max_results;
	guint next_id;
	GPtrArray *results; /* BdfudResult* */
};

void
bdfud_journal_entry_free(BdfudJournalEntry *entry)
{
	if (entry == NULL)
		return;
	g_free(entry->target);
	g_free(entry->address);
	g_free(entry->dfu_address);
	g_free(entry->digest);
	g_free(entry->adapter);
	g_free(entry);
}

void
bdfud_result_free(BdfudResult *result)
{
	if (result == NULL)
		return;
	g_free(result->target);
	g_free(result->address);
	g_free(result->result);
	g_free(result->message);
	g_free(result);
}

static gboolean
bdfud_journal_mkdir(const gchar *path, GError **error)
{
	if (g_mkdir_with_parents(path, 0700) != 0) {
		int errsv = errno;
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_FAILED,
			    "cannot create the state directory %s: %s",
			    path,
			    g_strerror(errsv));
		return FALSE;
	}
	return TRUE;
}

static gchar *
bdfud_journal_job_path(BdfudJournal *journal, guint id)
{
	g_autofree gchar *name = g_strdup_printf("%u.job", id);
	return g_build_filename(journal->jobs_dir, name, NULL);
}

/* a digest is 64 hex digits: nothing else may reach a file name */
static gchar *
bdfud_journal_package_path(BdfudJournal *journal, const gchar *digest)
{
	g_autofree gchar *name = NULL;
	if (digest == NULL || strlen(digest) != 64 || strspn(digest, "0123456789abcdef") != 64)
		return NULL;
	name = g_strdup_printf("%s.zip", digest);
	return g_build_filename(journal->packages_dir, name, NULL);
}

static BdfudResult *
bdfud_result_from_json(const cJSON *obj)
{
	BdfudResult *result;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "id");
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(obj, "result");
	if (!cJSON_IsNumber(id) || !cJSON_IsString(res))
		return NULL;
	result = g_new0(BdfudResult, 1);
	result->id = (guint)id->valuedouble;
	result->result = g_strdup(res->valuestring);
	result->target = g_strdup(cJSON_GetStringValue(cJSON_GetObjectItem(obj, "target")));
	result->address = g_strdup(cJSON_GetStringValue(cJSON_GetObjectItem(obj, "address")));
	result->message = g_strdup(cJSON_GetStringValue(cJSON_GetObjectItem(obj, "message")));
	result->exit_code = (gint)cJSON_GetNumberValue(cJSON_GetObjectItem(obj, "exit_code"));
	result->finished = (gint64)cJSON_GetNumberValue(cJSON_GetObjectItem(obj, "finished"));
	return result;
}

static void
bdfud_journal_load_results(BdfudJournal *journal)
{
	g_autofree gchar *contents = NULL;
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents(journal->results_path, &contents, NULL, NULL))
		return;
	lines = g_strsplit(contents, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_autoptr(cJSON) obj = NULL;
		BdfudResult *result;
		if (lines[i][0] == '\0')
			continue;
		obj = cJSON_Parse(lines[i]);
		result = obj != NULL ? bdfud_result_from_json(obj) : NULL;
		if (result == NULL) {
			/* a line cut by a crash: the rest is still worth keeping */
			g_warning("%s: line %u unreadable, skipped", journal->results_path, i + 1);
			continue;
		}
		journal->next_id = MAX(journal->next_id, result->id + 1);
		g_ptr_array_add(journal->results, result);
	}
	while (journal->results->len > journal->max_results)
		g_ptr_array_remove_index(journal->results, 0);
}

BdfudJournal *
bdfud_journal_new(const gchar *state_dir, guint max_results, GError **error)
{
	g_autoptr(BdfudJournal) journal = g_new0(BdfudJournal, 1);
	g_autoptr(GDir) dir = NULL;
	const gchar *name;

	journal->jobs_dir = g_build_filename(state_dir, "jobs", NULL);
	journal->packages_dir = g_build_filename(state_dir, "packages", NULL);
	journal->results_path = g_build_filename(state_dir, "results.jsonl", NULL);
	journal->max_results = MAX(max_results, 1);
	journal->next_id = 1;
	journal->results = g_ptr_array_new_with_free_func((GDestroyNotify)bdfud_result_free);
	if (!bdfud_journal_mkdir(journal->jobs_dir, error) ||
	    !bdfud_journal_mkdir(journal->packages_dir, error))
		return NULL;
	bdfud_journal_load_results(journal);
	dir = g_dir_open(journal->jobs_dir, 0, NULL);
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		guint64 id = g_ascii_strtoull(name, NULL, 10);
		if (id > 0 && id < G_MAXUINT)
			journal->next_id = MAX(journal->next_id, (guint)id + 1);
	}
	return g_steal_pointer(&journal);
}

void
bdfud_journal_free(BdfudJournal *journal)
{
	if (journal == NULL)
		return;
	g_free(journal->jobs_dir);
	g_free(journal->packages_dir);
	g_free(journal->results_path);
	g_clear_pointer(&journal->results, g_ptr_array_unref);
	g_free(journal);
}

guint
bdfud_journal_next_id(BdfudJournal *journal)
{
	return journal->next_id++;
}

gboolean
bdfud_journal_store_package(BdfudJournal *journal, const gchar *digest, GBytes *zip, GError **error)
{
	g_autofree gchar *path = bdfud_journal_package_path(journal, digest);
	gsize len = 0;
	const gchar *data = g_bytes_get_data(zip, &len);
	g_autoptr(GError) error_local = NULL;

	if (path == NULL) {
		g_set_error_literal(error, BDFU_ERROR, BDFU_ERROR_FAILED, "bad package digest");
		return FALSE;
	}
	if (g_file_test(path, G_FILE_TEST_EXISTS))
		return TRUE;
	if (!g_file_set_contents_full(
		path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error_local)) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_FAILED,
			    "cannot keep the package in the state directory: %s",
			    error_local->message);
		return FALSE;
	}
	return TRUE;
}

GBytes *
bdfud_journal_load_package(BdfudJournal *journal, const gchar *digest, GError **error)
{
	g_autofree gchar *path = bdfud_journal_package_path(journal, digest);
	gchar *contents = NULL;
	gsize len = 0;
	if (path == NULL) {
		g_set_error_literal(error, BDFU_ERROR, BDFU_ERROR_FAILED, "bad package digest");
		return NULL;
	}
	if (!g_file_get_contents(path, &contents, &len, error))
		return NULL;
	return g_bytes_new_take(contents, len);
}

static void
bdfud_journal_set_string(GKeyFile *kf, const gchar *key, const gchar *value)
{
	if (value != NULL)
		g_key_file_set_string(kf, "job", key, value);
}

gboolean
bdfud_journal_write(BdfudJournal *journal, const BdfudJournalEntry *entry, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree gchar *path = bdfud_journal_job_path(journal, entry->id);
	g_autofree gchar *data = NULL;
	gsize len = 0;
	const BdfuUpdateOptions *o = &entry->options;

	g_key_file_set_uint64(kf, "job", "id", entry->id);
	bdfud_journal_set_string(kf, "target", entry->target);
	bdfud_journal_set_string(kf, "address", entry->address);
	bdfud_journal_set_string(kf, "dfu-address", entry->dfu_address);
	bdfud_journal_set_string(kf, "digest", entry->digest);
	bdfud_journal_set_string(kf, "adapter", entry->adapter);
	g_key_file_set_uint64(kf, "job", "part", entry->part);
	g_key_file_set_uint64(kf, "job", "verified", entry->verified);
	g_key_file_set_boolean(kf, "job", "in-bootloader", entry->in_bootloader);
	g_key_file_set_uint64(kf, "options", "prn", o->prn);
	g_key_file_set_uint64(kf, "options", "mtu", o->mtu);
	g_key_file_set_uint64(kf, "options", "retries", o->retries);
	g_key_file_set_boolean(kf, "options", "resume", o->resume);
	g_key_file_set_boolean(kf, "options", "verify-boot", o->verify_boot);
	g_key_file_set_boolean(kf, "options", "force", o->force);
	g_key_file_set_uint64(kf, "options", "scan-timeout", o->scan_timeout_ms);
	g_key_file_set_uint64(kf, "options", "boot-timeout", o->boot_timeout_ms);
	g_key_file_set_uint64(kf, "options", "response-timeout", o->response_timeout_ms);
	g_key_file_set_boolean(kf, "options", "verbose", o->verbose);
	data = g_key_file_to_data(kf, &len, NULL);
	return g_file_set_contents_full(
	    path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static BdfudJournalEntry *
bdfud_journal_read(BdfudJournal *journal, const gchar *path)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(BdfudJournalEntry) entry = g_new0(BdfudJournalEntry, 1);
	BdfuUpdateOptions *o = &entry->options;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
		return NULL;
	entry->id = (guint)g_key_file_get_uint64(kf, "job", "id", NULL);
	entry->target = g_key_file_get_string(kf, "job", "target", NULL);
	entry->address = g_key_file_get_string(kf, "job", "address", NULL);
	entry->dfu_address = g_key_file_get_string(kf, "job", "dfu-address", NULL);
	entry->digest = g_key_file_get_string(kf, "job", "digest", NULL);
	entry->adapter = g_key_file_get_string(kf, "job", "adapter", NULL);
	entry->part = (guint)g_key_file_get_uint64(kf, "job", "part", NULL);
	entry->verified = g_key_file_get_uint64(kf, "job", "verified", NULL);
	entry->in_bootloader = g_key_file_get_boolean(kf, "job", "in-bootloader", NULL);
	if (entry->id == 0 || entry->target == NULL || entry->digest == NULL)
		return NULL;
	bdfu_update_options_init(o);
	o->prn = (guint16)g_key_file_get_uint64(kf, "options", "prn", NULL);
	o->mtu = (guint16)g_key_file_get_uint64(kf, "options", "mtu", NULL);
	o->retries = (guint)g_key_file_get_uint64(kf, "options", "retries", NULL);
	o->resume = g_key_file_get_boolean(kf, "options", "resume", NULL);
	o->verify_boot = g_key_file_get_boolean(kf, "options", "verify-boot", NULL);
	o->force = g_key_file_get_boolean(kf, "options", "force", NULL);
	o->scan_timeout_ms = (guint)g_key_file_get_uint64(kf, "options", "scan-timeout", NULL);
	o->boot_timeout_ms = (guint)g_key_file_get_uint64(kf, "options", "boot-timeout", NULL);
	o->response_timeout_ms =
	    (guint)g_key_file_get_uint64(kf, "options", "response-timeout", NULL);
	o->verbose = g_key_file_get_boolean(kf, "options", "verbose", NULL);
	if (o->scan_timeout_ms == 0 || o->boot_timeout_ms == 0 || o->response_timeout_ms == 0)
		bdfu_update_options_init(o);
	return g_steal_pointer(&entry);
}

static gint
bdfud_journal_entry_cmp(gconstpointer a, gconstpointer b)
{
	const BdfudJournalEntry *ea = *(const BdfudJournalEntry *const *)a;
	const BdfudJournalEntry *eb = *(const BdfudJournalEntry *const *)b;
	return ea->id < eb->id ? -1 : ea->id > eb->id;
}

GPtrArray *
bdfud_journal_list(BdfudJournal *journal)
{
	GPtrArray *entries =
	    g_ptr_array_new_with_free_func((GDestroyNotify)bdfud_journal_entry_free);
	g_autoptr(GDir) dir = g_dir_open(journal->jobs_dir, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = NULL;
		BdfudJournalEntry *entry;
		if (!g_str_has_suffix(name, ".job"))
			continue;
		path = g_build_filename(journal->jobs_dir, name, NULL);
		entry = bdfud_journal_read(journal, path);
		if (entry == NULL) {
			g_warning("%s: unreadable job journal, skipped", path);
			continue;
		}
		g_ptr_array_add(entries, entry);
	}
	g_ptr_array_sort(entries, bdfud_journal_entry_cmp);
	return entries;
}

void
bdfud_journal_remove(BdfudJournal *journal, guint id)
{
	g_autofree gchar *path = bdfud_journal_job_path(journal, id);
	g_autoptr(GPtrArray) left = NULL;
	g_autoptr(GDir) dir = NULL;
	const gchar *name;

	g_unlink(path);
	/* drop packages that no unfinished job refers to */
	left = bdfud_journal_list(journal);
	dir = g_dir_open(journal->packages_dir, 0, NULL);
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		gboolean used = FALSE;
		for (guint i = 0; i < left->len && !used; i++) {
			BdfudJournalEntry *entry = g_ptr_array_index(left, i);
			used = g_str_has_prefix(name, entry->digest);
		}
		if (!used) {
			g_autofree gchar *pkg = g_build_filename(journal->packages_dir, name, NULL);
			g_unlink(pkg);
		}
	}
}

gboolean
bdfud_journal_add_result(BdfudJournal *journal, const BdfudResult *result, GError **error)
{
	g_autoptr(cJSON) obj = cJSON_CreateObject();
	g_autofree gchar *text = NULL;
	g_autofree gchar *line = NULL;
	g_autoptr(GFile) file = g_file_new_for_path(journal->results_path);
	g_autoptr(GFileOutputStream) out = NULL;
	BdfudResult *copy = g_new0(BdfudResult, 1);

	cJSON_AddNumberToObject(obj, "id", result->id);
	cJSON_AddStringToObject(obj, "target", result->target != NULL ? result->target : "");
	cJSON_AddStringToObject(obj, "address", result->address != NULL ? result->address : "");
	cJSON_AddStringToObject(obj, "result", result->result);
	cJSON_AddNumberToObject(obj, "exit_code", result->exit_code);
	cJSON_AddStringToObject(obj, "message", result->message != NULL ? result->message : "");
	cJSON_AddNumberToObject(obj, "finished", (double)result->finished);

	*copy = *result;
	copy->target = g_strdup(result->target);
	copy->address = g_strdup(result->address);
	copy->result = g_strdup(result->result);
	copy->message = g_strdup(result->message);
	g_ptr_array_add(journal->results, copy);
	while (journal->results->len > journal->max_results)
		g_ptr_array_remove_index(journal->results, 0);

	text = cJSON_PrintUnformatted(obj);
	line = g_strdup_printf("%s\n", text);
	out = g_file_append_to(file, G_FILE_CREATE_PRIVATE, NULL, error);
	if (out == NULL)
		return FALSE;
	return g_output_stream_write_all(
		   G_OUTPUT_STREAM(out), line, strlen(line), NULL, NULL, error) &&
	       g_output_stream_close(G_OUTPUT_STREAM(out), NULL, error);
}

GPtrArray *
bdfud_journal_get_results(BdfudJournal *journal)
{
	return journal->results;
}
