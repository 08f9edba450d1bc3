/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Replays a fuzzer's corpus without libFuzzer: every file under the given directories (or
 * every file given) goes once through LLVMFuzzerTestOneInput. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static guint n_inputs = 0;

static gboolean
run_path(const gchar *path)
{
	g_autoptr(GError) error = NULL;
	if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
		const gchar *name;
		g_autoptr(GDir) dir = g_dir_open(path, 0, &error);
		if (dir == NULL) {
			g_printerr("%s\n", error->message);
			return FALSE;
		}
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			if (!run_path(child))
				return FALSE;
		}
		return TRUE;
	} else {
		gchar *contents = NULL;
		gsize len = 0;
		if (!g_file_get_contents(path, &contents, &len, &error)) {
			g_printerr("%s\n", error->message);
			return FALSE;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)contents, len);
		g_free(contents);
		n_inputs++;
		return TRUE;
	}
}

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!run_path(argv[i]))
			return 1;
	}
	if (n_inputs == 0) {
		g_printerr("no corpus inputs found\n");
		return 1;
	}
	g_print("replayed %u inputs without a crash\n", n_inputs);
	return 0;
}
