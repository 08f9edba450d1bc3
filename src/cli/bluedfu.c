/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bluedfu/bdfu-error.h"
#include "cli/bdfu-cli.h"

static const BdfuCliVerb verbs[] = {
    {"scan", "", "list devices in DFU mode or offering buttonless DFU", bdfu_cli_scan},
    {"inspect", "PACKAGE", "show what is inside a package, with every check", bdfu_cli_inspect},
    {"doctor", "PACKAGE [TARGET]", "will it boot? why is my device stuck?", bdfu_cli_doctor},
    {"update", "PACKAGE TARGET...", "update one or more devices", bdfu_cli_update},
    {"enter-bootloader", "TARGET", "restart a device into its DFU bootloader",
     bdfu_cli_enter_bootloader},
    {"pkg", "generate OUT.zip", "make a Secure DFU package (nrfutil-compatible)", bdfu_cli_pkg},
    {"keys", "generate|display KEY", "make a signing key or show its public half",
     bdfu_cli_keys_main},
    {"jobs", "", "list the jobs of bluedfud and recent results", bdfu_cli_jobs},
    {"watch", "JOB", "follow a job of bluedfud to its end", bdfu_cli_watch},
    {"cancel", "JOB", "cancel a job of bluedfud", bdfu_cli_cancel},
};

/* global options that take a value: a word after them is not the verb */
static gboolean
bdfu_cli_global_takes_value(const gchar *arg)
{
	return g_strcmp0(arg, "--backend") == 0 || g_strcmp0(arg, "--adapter") == 0 ||
	       g_strcmp0(arg, "--sim-profile") == 0;
}

static void
bdfu_cli_print_usage(FILE *out)
{
	fprintf(out, "Usage: bluedfu [OPTION...] VERB [ARG...]\n\n");
	fprintf(out, "Firmware updates for Nordic nRF5 devices over Bluetooth LE (Secure DFU).\n\n");
	fprintf(out, "Verbs:\n");
	for (guint i = 0; i < G_N_ELEMENTS(verbs); i++)
		fprintf(out, "  %-17s %-18s %s\n", verbs[i].name, verbs[i].args, verbs[i].summary);
	fprintf(out,
		"\nGlobal options (before or after the verb):\n"
		"  --backend bluez|sim    where devices come from (default: bluez)\n"
		"  --adapter hciN         Bluetooth adapter (default: the first powered one)\n"
		"  --sim-profile FILE     simulated devices (with --backend sim)\n"
		"  --sim-realtime         run the simulation in real time\n"
		"  --json                 one JSON object per line\n"
		"  -v, --verbose          show every Control Point request and response\n"
		"  -q, --quiet            only errors and the result\n"
		"  --no-daemon            run updates in this process even when bluedfud is there\n"
		"  --version              print the version\n\n"
		"Exit codes: 0 success, 2 usage, 3 bad package, 4 device not found, 5 connection "
		"failed,\n6 rejected by the device, 7 transfer failed, 8 application did not boot, 9 "
		"cancelled.\nSee bluedfu(1).\n");
}

int
main(int argc, char **argv)
{
	BdfuCli cli = {0};
	const BdfuCliVerb *verb = NULL;
	gint verb_index = -1;
	int rc;

	setlocale(LC_ALL, "");
	cli.is_tty = isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);

	for (gint i = 1; i < argc; i++) {
		if (g_strcmp0(argv[i], "--") == 0)
			break;
		if (argv[i][0] == '-') {
			if (bdfu_cli_global_takes_value(argv[i]))
				i++;
			continue;
		}
		verb_index = i;
		break;
	}
	if (verb_index < 0) {
		for (gint i = 1; i < argc; i++) {
			if (g_strcmp0(argv[i], "--version") == 0) {
				g_print("bluedfu %s\n", BDFU_VERSION);
				return 0;
			}
			if (g_strcmp0(argv[i], "--help") == 0 || g_strcmp0(argv[i], "-h") == 0) {
				bdfu_cli_print_usage(stdout);
				return 0;
			}
		}
		bdfu_cli_print_usage(stderr);
		return 2;
	}
	if (g_strcmp0(argv[verb_index], "help") == 0) {
		bdfu_cli_print_usage(stdout);
		return 0;
	}
	for (guint i = 0; i < G_N_ELEMENTS(verbs); i++) {
		if (g_strcmp0(verbs[i].name, argv[verb_index]) == 0)
			verb = &verbs[i];
	}
	if (verb == NULL) {
		g_printerr("bluedfu: unknown verb '%s'\nTry 'bluedfu --help'.\n", argv[verb_index]);
		return 2;
	}

	/* the verb sees argv without its own name: [prog, options and arguments...] */
	memmove(&argv[verb_index], &argv[verb_index + 1], sizeof(char *) * (argc - verb_index));
	argc--;
	rc = verb->run(&cli, argc, argv);

	g_free(cli.backend);
	g_free(cli.adapter);
	g_free(cli.sim_profile);
	return rc;
}
