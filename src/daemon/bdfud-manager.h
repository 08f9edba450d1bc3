/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "daemon/bdfud-config.h"

G_BEGIN_DECLS

/* io.github.bluedfu.Manager1: the backends (one per adapter), a queue per adapter running at
 * most max-parallel jobs, the jobs, the journal; resumes journaled jobs at start. */

#define BDFUD_TYPE_MANAGER (bdfud_manager_get_type())
G_DECLARE_FINAL_TYPE(BdfudManager, bdfud_manager, BDFUD, MANAGER, GObject)

BdfudManager *
bdfud_manager_new(GDBusConnection *bus, const BdfudConfig *config, GError **error);
/* exports Manager1 and resumes what the journal holds */
gboolean
bdfud_manager_start(BdfudManager *self, GError **error);
/* TRUE while jobs run or wait (the daemon does not exit on idle then) */
gboolean
bdfud_manager_is_busy(BdfudManager *self);

G_END_DECLS
