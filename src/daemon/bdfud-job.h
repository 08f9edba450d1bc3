/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "daemon/bdfud-journal.h"
#include "update/bdfu-update-job.h"

G_BEGIN_DECLS

/* One io.github.bluedfu.Job1 object: an update job of one device, its D-Bus face (throttled
 * progress properties, Event signals, Cancel) and its journal entry. Signals:
 *   "finished"         ()                            the job has a result
 *   "cancel-requested" (GDBusMethodInvocation *)     a client called Cancel: authorise it */

#define BDFUD_TYPE_JOB (bdfud_job_get_type())
G_DECLARE_FINAL_TYPE(BdfudJob, bdfud_job, BDFUD, JOB, GObject)

/* `entry` is taken; the job journals itself from now on */
BdfudJob *
bdfud_job_new(GDBusConnection *bus,
	      BdfudJournal *journal,
	      BdfudJournalEntry *entry,
	      GBytes *zip,
	      guint n_parts,
	      guint64 bytes_total);
/* exports the object at BDFU_DBUS_JOB_PREFIX + id */
gboolean
bdfud_job_export(BdfudJob *self, GError **error);
void
bdfud_job_unexport(BdfudJob *self);
const gchar *
bdfud_job_get_path(BdfudJob *self);
guint
bdfud_job_get_id(BdfudJob *self);
const gchar *
bdfud_job_get_adapter(BdfudJob *self);
const gchar *
bdfud_job_get_result(BdfudJob *self); /* NULL while queued or running */

/* runs the job on `backend`; "finished" fires at the end */
void
bdfud_job_start(BdfudJob *self, BdfuBackend *backend, gboolean resumed);
/* a queued job ends at once; a running one stops at the next step */
void
bdfud_job_cancel(BdfudJob *self);

G_END_DECLS
