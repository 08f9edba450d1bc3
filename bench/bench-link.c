/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Update time on the link model against the model's own bound, and engine CPU per MiB.
 * Usage: bench-link [IMAGE_KIB]   (default 256) */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/bdfu-pump.h"
#include "core/bdfu-image.h"

static GBytes *
make_image(gsize len)
{
	guint8 *buf = g_malloc(len);
	guint32 words[2] = {0x20010000, 0x27101};
	for (gsize i = 0; i < len; i++)
		buf[i] = (guint8)(i * 131 + (i >> 8));
	memcpy(buf, words, sizeof(words));
	return g_bytes_new_take(buf, len);
}

static BdfuPackage *
make_package(gsize len)
{
	g_autoptr(GBytes) bin = make_image(len);
	g_autoptr(BdfuPackageWriter) writer = bdfu_package_writer_new();
	g_autoptr(GBytes) dat = NULL;
	g_autoptr(GBytes) zip = NULL;
	BdfuInitPacket init = {0};
	gsize bin_len = 0;
	const guint8 *data = g_bytes_get_data(bin, &bin_len);

	init.has_fw_version = TRUE;
	init.fw_version = 1;
	init.has_hw_version = TRUE;
	init.hw_version = 52;
	init.sd_req_len = 1;
	init.sd_req[0] = 0x100;
	init.has_type = TRUE;
	init.type = BDFU_FW_TYPE_APPLICATION;
	init.has_sd_size = init.has_bl_size = init.has_app_size = TRUE;
	init.app_size = (guint32)bin_len;
	init.has_hash = TRUE;
	init.hash_type = BDFU_HASH_TYPE_SHA256;
	init.hash_len = 32;
	bdfu_init_packet_hash_image(data, bin_len, init.hash);
	init.has_is_debug = TRUE;
	dat = bdfu_init_packet_encode(&init, NULL, NULL);
	bdfu_package_writer_add(writer, BDFU_PART_APPLICATION, "app.bin", bin, "app.dat", dat, 0, 0);
	zip = bdfu_package_writer_finish(writer, NULL);
	return bdfu_package_new_from_bytes(zip, NULL, NULL);
}

/* What the protocol cannot avoid on this link, object by object: Create, Calculate Checksum
 * and Execute each take a request/answer round trip (2 connection events); packets go at most
 * packets_per_event an event; each PRN receipt costs at least one event (it comes back in the
 * event after the batch's last packet); and the target answers Execute only once the page
 * erase queued by Create and the writes are done. Plus connecting and the init packet. */
static gdouble
lower_bound_s(gsize len, guint mtu, guint prn, const BdfuLinkConfig *link, const BdfuTargetConfig *t)
{
	gsize chunk = (mtu - 3) & ~3u;
	gdouble interval = link->connection_interval_us / 1e6;
	gdouble total = link->connect_time_us / 1e6;
	/* init packet: Select, PRN 0, Create, its packets, Checksum, Execute; data Select + PRN */
	total += (2 + 2 + 2 + 1 + 2 + 2 + 2 + 2) * interval;
	for (gsize start = 0; start < len; start += 4096) {
		gsize size = MIN(4096, len - start);
		gsize packets = (size + chunk - 1) / chunk;
		gdouble events = 2 + (gdouble)packets / link->packets_per_event +
				 (prn > 0 ? (gdouble)(packets / prn) : 0) + 2 + 2;
		gdouble flash = t->page_erase_us / 1e6 + (size / 4.0) * (t->flash_word_write_us / 1e6) +
				interval;
		total += MAX(events * interval, flash);
	}
	return total;
}

int
main(int argc, char **argv)
{
	gsize kib = argc > 1 ? (gsize)g_ascii_strtoull(argv[1], NULL, 10) : 256;
	g_autoptr(BdfuPackage) package = make_package(kib * 1024);
	const guint mtus[] = {23, 247};
	const guint prns[] = {0, 12};

	printf("image %zu KiB, nRF52840 model (SDK 17), 15 ms interval, 6 packets/event\n", kib);
	printf("%-5s %-4s %10s %10s %8s %8s %12s\n", "MTU", "PRN", "time(s)", "bound(s)", "ratio",
	       "KiB/s", "CPU ms/MiB");
	for (guint m = 0; m < G_N_ELEMENTS(mtus); m++) {
		for (guint p = 0; p < G_N_ELEMENTS(prns); p++) {
			BdfuTargetConfig config;
			BdfuPumpConfig pump;
			BdfuPumpStats stats;
			g_autoptr(GError) error = NULL;
			g_autoptr(BdfuTarget) target = NULL;
			guint64 now = 0;
			gdouble bound, cpu;
			struct timespec t0, t1;

			bdfu_target_config_init(&config);
			config.start_in_dfu = TRUE;
			config.flash_size = 0x100000;
			config.bootloader_start = 0xF8000;
			config.max_att_mtu = 247;
			target = bdfu_target_new(&config, NULL, NULL);
			bdfu_pump_config_init(&pump);
			pump.link.requested_mtu = mtus[m];
			pump.engine.prn = prns[p];
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
			if (!bdfu_pump_update(target, &now, package, &pump, &stats, NULL, &error)) {
				printf("%-5u %-4u failed: %s\n", mtus[m], prns[p], error->message);
				continue;
			}
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
			cpu = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
			bound = lower_bound_s(kib * 1024, mtus[m], prns[p], &pump.link, &config);
			printf("%-5u %-4u %10.2f %10.2f %8.2f %8.1f %12.1f\n", mtus[m], prns[p],
			       stats.elapsed_us / 1e6, bound, stats.elapsed_us / 1e6 / bound,
			       kib / (stats.elapsed_us / 1e6), cpu / (kib / 1024.0));
			bdfu_target_config_clear(&config);
		}
	}
	return 0;
}
