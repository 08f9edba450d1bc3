/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	gchar *label;	 /* the target, prefixed to every line */
	gboolean tty;	 /* redraw a bar instead of printing lines */
	gboolean quiet;
	gboolean verbose;
	gboolean show_findings;
	gboolean bar_shown;
	guint last_decile;
	gboolean printed_100;
} BdfuCliProgress;

void
bdfu_cli_progress_event(BdfuCliProgress *progress, const gchar *name, GVariant *data);
void
bdfu_cli_progress_clear(BdfuCliProgress *progress);

G_END_DECLS
