/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>

#include "core/bdfu-ihex.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(BdfuIhexImage) image = NULL;
	if (size > 256 * 1024)
		return 0;
	image = bdfu_ihex_parse((const gchar *)data, size, 0, NULL);
	return 0;
}
