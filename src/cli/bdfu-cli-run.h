/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "cli/bdfu-cli-progress.h"
#include "cli/bdfu-cli.h"
#include "update/bdfu-update-job.h"

G_BEGIN_DECLS

/* One `update` or `enter-bootloader` run over one or more targets, in-process or through
 * bluedfud: both print the same events, result lines and summary. */

#define BDFU_CLI_MAX_PACKAGE (64 * 1024 * 1024)

typedef struct _BdfuCliRun BdfuCliRun;

typedef struct {
	BdfuCliRun *run;
	gchar *target;
	BdfuUpdateJob *job;
	BdfuCliProgress progress;
	gboolean finished;
	gint exit_code;
	gchar *outcome;
	gchar *message;
	gchar *address;
} BdfuCliTarget;

struct _BdfuCliRun {
	BdfuCli *cli;
	BdfuBackend *backend;
	GBytes *zip;
	BdfuUpdateOptions options;
	GPtrArray *targets; /* BdfuCliTarget* */
	guint parallel;
	guint next;
	guint running;
	GMainLoop *loop;
	GCancellable *cancellable;
	const gchar *verb;
};

void
bdfu_cli_target_free(BdfuCliTarget *target);
/* one event of a target's job, as a JSON line or as human output */
void
bdfu_cli_target_event(BdfuCliTarget *target, const gchar *name, GVariant *data);
/* the result line; outcome, exit_code and message must be set */
void
bdfu_cli_target_print_result(BdfuCliTarget *target, const gchar *error_name);
/* the per-device table of a fleet run */
void
bdfu_cli_print_summary(BdfuCliRun *run);

G_END_DECLS
