/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "update/bdfu-update-job.h"

G_BEGIN_DECLS

/* What must outlive the daemon: each unfinished job (package digest, target, part, verified
 * offset) and the result of each finished one, in the state directory:
 *   jobs/N.job         GKeyFile, rewritten atomically as the job moves on
 *   packages/HEX.zip   the package of unfinished jobs, by SHA-256
 *   results.jsonl      one JSON object per finished job, newest last */

typedef struct {
	guint id;
	gchar *target;	    /* what the client asked for */
	gchar *address;	    /* where the device was found, NULL before */
	gchar *dfu_address; /* where its bootloader was last seen, NULL before */
	gchar *digest;	    /* package SHA-256, hex */
	gchar *adapter;
	guint part;		/* 0-based image being sent */
	guint64 verified;	/* bytes of that image the device has verified */
	gboolean in_bootloader; /* the device was left in DFU mode by this job */
	BdfuUpdateOptions options;
} BdfudJournalEntry;

void
bdfud_journal_entry_free(BdfudJournalEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BdfudJournalEntry, bdfud_journal_entry_free)

typedef struct {
	guint id;
	gchar *target;
	gchar *address;
	gchar *result; /* app-booted, failed, app-did-not-boot, cancelled */
	gint exit_code;
	gchar *message;
	gint64 finished; /* unix seconds */
} BdfudResult;

void
bdfud_result_free(BdfudResult *result);

typedef struct _BdfudJournal BdfudJournal;

BdfudJournal *
bdfud_journal_new(const gchar *state_dir, guint max_results, GError **error);
void
bdfud_journal_free(BdfudJournal *journal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BdfudJournal, bdfud_journal_free)

/* ids never repeat, across restarts too */
guint
bdfud_journal_next_id(BdfudJournal *journal);
gboolean
bdfud_journal_store_package(BdfudJournal *journal,
			    const gchar *digest,
			    GBytes *zip,
			    GError **error);
GBytes *
bdfud_journal_load_package(BdfudJournal *journal, const gchar *digest, GError **error);
gboolean
bdfud_journal_write(BdfudJournal *journal, const BdfudJournalEntry *entry, GError **error);
/* forgets the job; its package goes once no other job needs it */
void
bdfud_journal_remove(BdfudJournal *journal, guint id);
/* the unfinished jobs found on disk, by id; unreadable files are reported and skipped */
GPtrArray *
bdfud_journal_list(BdfudJournal *journal);
gboolean
bdfud_journal_add_result(BdfudJournal *journal, const BdfudResult *result, GError **error);
/* BdfudResult*, newest last (owned by the journal) */
GPtrArray *
bdfud_journal_get_results(BdfudJournal *journal);

G_END_DECLS
