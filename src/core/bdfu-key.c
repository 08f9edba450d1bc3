/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <string.h>

#include "bluedfu/bdfu-error.h"
#include "core/bdfu-init-packet.h"

#define BDFU_P256_COORD 32
/* PEM key files are small; anything bigger is not a key */
#define BDFU_KEY_PEM_MAX (64 * 1024)

struct _BdfuKey {
	EVP_PKEY *pkey;
	gboolean has_private;
};

G_DEFINE_AUTOPTR_CLEANUP_FUNC(BIO, BIO_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_PKEY_CTX, EVP_PKEY_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_MD_CTX, EVP_MD_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ECDSA_SIG, ECDSA_SIG_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BIGNUM, BN_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OSSL_PARAM, OSSL_PARAM_free)

static void
bdfu_reverse32(const guint8 *in, guint8 *out)
{
	for (guint i = 0; i < BDFU_P256_COORD; i++)
		out[i] = in[BDFU_P256_COORD - 1 - i];
}

/* never prompt on a terminal for the pass phrase of an encrypted key */
static int
bdfu_key_no_password(char *buf, int size, int rwflag, void *user_data)
{
	return 0;
}

static gboolean
bdfu_key_check_p256(EVP_PKEY *pkey, GError **error)
{
	gchar group[64] = {0};
	size_t group_len = 0;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "key is %s, not an elliptic-curve key; Nordic DFU signs with ECDSA on "
			    "NIST P-256 (nrfutil keys generate)",
			    EVP_PKEY_get0_type_name(pkey) != NULL ? EVP_PKEY_get0_type_name(pkey)
								  : "of an unknown type");
		return FALSE;
	}
	if (!EVP_PKEY_get_utf8_string_param(
		pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &group_len)) {
		g_set_error_literal(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_INVALID_ARGUMENT,
		    "key uses explicit curve parameters; Nordic DFU needs the named "
		    "curve NIST P-256 (prime256v1)");
		return FALSE;
	}
	if (g_strcmp0(group, "prime256v1") != 0 && g_strcmp0(group, "P-256") != 0) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "key is on curve %s; Nordic DFU needs NIST P-256 (prime256v1)",
			    group);
		return FALSE;
	}
	return TRUE;
}

static BdfuKey *
bdfu_key_new_take(EVP_PKEY *pkey, gboolean has_private)
{
	BdfuKey *key = g_new0(BdfuKey, 1);
	key->pkey = pkey;
	key->has_private = has_private;
	return key;
}

BdfuKey *
bdfu_key_new_from_pem(const gchar *pem, gsize len, GError **error)
{
	g_autoptr(BIO) bio = NULL;
	g_autoptr(EVP_PKEY) pkey = NULL;
	g_autofree gchar *text = NULL;
	gboolean is_private;

	g_return_val_if_fail(pem != NULL || len == 0, NULL);
	if (len == 0 || len > BDFU_KEY_PEM_MAX) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "key file is %" G_GSIZE_FORMAT " bytes; expected a PEM key",
			    len);
		return NULL;
	}
	/* a NUL-terminated copy, so the header search cannot run past the input */
	text = g_strndup(pem, len);
	if (strstr(text, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL ||
	    strstr(text, "Proc-Type: 4,ENCRYPTED") != NULL) {
		g_set_error_literal(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_INVALID_ARGUMENT,
		    "key file is encrypted; decrypt it first (openssl ec -in KEY -out "
		    "PLAIN)");
		return NULL;
	}
	if (strstr(text, "PRIVATE KEY-----") != NULL)
		is_private = TRUE;
	else if (strstr(text, "-----BEGIN PUBLIC KEY-----") != NULL)
		is_private = FALSE;
	else {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_INVALID_ARGUMENT,
				    "key file is not a PEM key: expected \"BEGIN EC PRIVATE KEY\", "
				    "\"BEGIN PRIVATE KEY\" or \"BEGIN PUBLIC KEY\"");
		return NULL;
	}

	bio = BIO_new_mem_buf(text, (int)strlen(text));
	if (bio == NULL) {
		g_set_error_literal(error, BDFU_ERROR, BDFU_ERROR_FAILED, "out of memory");
		return NULL;
	}
	if (is_private)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, bdfu_key_no_password, NULL);
	else
		pkey = PEM_read_bio_PUBKEY(bio, NULL, bdfu_key_no_password, NULL);
	ERR_clear_error();
	if (pkey == NULL) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "key file has a %s PEM block that does not decode",
			    is_private ? "private key" : "public key");
		return NULL;
	}
	if (!bdfu_key_check_p256(pkey, error))
		return NULL;
	return bdfu_key_new_take(g_steal_pointer(&pkey), is_private);
}

BdfuKey *
bdfu_key_new_from_raw_le(const guint8 *xy_le, gsize len, GError **error)
{
	g_autoptr(OSSL_PARAM_BLD) bld = NULL;
	g_autoptr(OSSL_PARAM) params = NULL;
	g_autoptr(EVP_PKEY_CTX) ctx = NULL;
	g_autoptr(EVP_PKEY_CTX) check = NULL;
	g_autoptr(EVP_PKEY) pkey = NULL;
	guint8 point[1 + 2 * BDFU_P256_COORD];

	g_return_val_if_fail(xy_le != NULL || len == 0, NULL);
	if (len != 2 * BDFU_P256_COORD) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "raw public key is %" G_GSIZE_FORMAT
			    " bytes; expected 64 (x then y, each little-endian)",
			    len);
		return NULL;
	}
	point[0] = 0x04; /* uncompressed, big-endian coordinates */
	bdfu_reverse32(xy_le, point + 1);
	bdfu_reverse32(xy_le + BDFU_P256_COORD, point + 1 + BDFU_P256_COORD);

	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0 ||
	    (check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_public_check(check) <= 0) {
		ERR_clear_error();
		g_set_error_literal(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_INVALID_ARGUMENT,
		    "raw public key is not a point on NIST P-256 (expected x then y, "
		    "each little-endian, as in dfu_public_key.c)");
		return NULL;
	}
	return bdfu_key_new_take(g_steal_pointer(&pkey), FALSE);
}

BdfuKey *
bdfu_key_generate(GError **error)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	if (pkey == NULL) {
		ERR_clear_error();
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_FAILED,
				    "could not generate a P-256 key (OpenSSL failed)");
		return NULL;
	}
	return bdfu_key_new_take(pkey, TRUE);
}

gboolean
bdfu_key_has_private(const BdfuKey *key)
{
	g_return_val_if_fail(key != NULL, FALSE);
	return key->has_private;
}

gboolean
bdfu_key_get_raw_le(const BdfuKey *key, guint8 out[64])
{
	g_autoptr(BIGNUM) x = NULL;
	g_autoptr(BIGNUM) y = NULL;
	guint8 be[2 * BDFU_P256_COORD];

	g_return_val_if_fail(key != NULL, FALSE);
	g_return_val_if_fail(out != NULL, FALSE);
	if (!EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
	    !EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) ||
	    BN_bn2binpad(x, be, BDFU_P256_COORD) != BDFU_P256_COORD ||
	    BN_bn2binpad(y, be + BDFU_P256_COORD, BDFU_P256_COORD) != BDFU_P256_COORD) {
		ERR_clear_error();
		return FALSE;
	}
	bdfu_reverse32(be, out);
	bdfu_reverse32(be + BDFU_P256_COORD, out + BDFU_P256_COORD);
	return TRUE;
}

static gchar *
bdfu_key_bio_to_string(BIO *bio)
{
	char *ptr = NULL;
	long n = BIO_get_mem_data(bio, &ptr);
	if (n <= 0 || ptr == NULL)
		return NULL;
	return g_strndup(ptr, (gsize)n);
}

gchar *
bdfu_key_to_public_pem(const BdfuKey *key)
{
	g_autoptr(BIO) bio = NULL;
	g_return_val_if_fail(key != NULL, NULL);
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || !PEM_write_bio_PUBKEY(bio, key->pkey)) {
		ERR_clear_error();
		return NULL;
	}
	return bdfu_key_bio_to_string(bio);
}

gchar *
bdfu_key_to_private_pem(const BdfuKey *key)
{
	g_autoptr(BIO) bio = NULL;
	g_return_val_if_fail(key != NULL, NULL);
	if (!key->has_private)
		return NULL;
	bio = BIO_new(BIO_s_mem());
	/* SEC1 "EC PRIVATE KEY", the form nrfutil keys generate writes */
	if (bio == NULL ||
	    !PEM_write_bio_PrivateKey_traditional(bio, key->pkey, NULL, NULL, 0, NULL, NULL)) {
		ERR_clear_error();
		return NULL;
	}
	return bdfu_key_bio_to_string(bio);
}

void
bdfu_key_free(BdfuKey *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	g_free(key);
}

gboolean
bdfu_key_verify_le(const BdfuKey *key, const guint8 *msg, gsize msg_len, const guint8 sig_le[64])
{
	g_autoptr(ECDSA_SIG) sig = ECDSA_SIG_new();
	g_autoptr(EVP_MD_CTX) md = NULL;
	g_autofree unsigned char *der = NULL;
	guint8 be[BDFU_P256_COORD];
	BIGNUM *r, *s;
	int der_len;
	int rc;

	g_return_val_if_fail(key != NULL, FALSE);
	g_return_val_if_fail(msg != NULL || msg_len == 0, FALSE);
	g_return_val_if_fail(sig_le != NULL, FALSE);
	if (sig == NULL)
		return FALSE;
	bdfu_reverse32(sig_le, be);
	r = BN_bin2bn(be, BDFU_P256_COORD, NULL);
	bdfu_reverse32(sig_le + BDFU_P256_COORD, be);
	s = BN_bin2bn(be, BDFU_P256_COORD, NULL);
	if (r == NULL || s == NULL || !ECDSA_SIG_set0(sig, r, s)) {
		BN_free(r);
		BN_free(s);
		ERR_clear_error();
		return FALSE;
	}
	der_len = i2d_ECDSA_SIG(sig, NULL);
	if (der_len <= 0)
		return FALSE;
	der = g_malloc((gsize)der_len);
	{
		unsigned char *p = der;
		if (i2d_ECDSA_SIG(sig, &p) != der_len)
			return FALSE;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key->pkey) <= 0) {
		ERR_clear_error();
		return FALSE;
	}
	rc = EVP_DigestVerify(
	    md, der, (size_t)der_len, msg != NULL ? msg : (const guint8 *)"", msg_len);
	ERR_clear_error();
	return rc == 1;
}

gboolean
bdfu_key_sign_le(const BdfuKey *key,
		 const guint8 *msg,
		 gsize msg_len,
		 guint8 sig_le[64],
		 GError **error)
{
	g_autoptr(EVP_MD_CTX) md = NULL;
	g_autoptr(ECDSA_SIG) sig = NULL;
	g_autofree unsigned char *der = NULL;
	const unsigned char *p;
	const BIGNUM *r, *s;
	guint8 be[2 * BDFU_P256_COORD];
	size_t der_len = 0;

	g_return_val_if_fail(key != NULL, FALSE);
	g_return_val_if_fail(msg != NULL || msg_len == 0, FALSE);
	g_return_val_if_fail(sig_le != NULL, FALSE);
	if (!key->has_private) {
		g_set_error_literal(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_INVALID_ARGUMENT,
		    "signing needs a private key, but this is a public key; give the "
		    "private key file (BEGIN EC PRIVATE KEY)");
		return FALSE;
	}
	if (msg == NULL)
		msg = (const guint8 *)"";
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key->pkey) <= 0 ||
	    EVP_DigestSign(md, NULL, &der_len, msg, msg_len) <= 0) {
		ERR_clear_error();
		g_set_error_literal(error, BDFU_ERROR, BDFU_ERROR_FAILED, "ECDSA signing failed");
		return FALSE;
	}
	der = g_malloc(der_len);
	if (EVP_DigestSign(md, der, &der_len, msg, msg_len) <= 0) {
		ERR_clear_error();
		g_set_error_literal(error, BDFU_ERROR, BDFU_ERROR_FAILED, "ECDSA signing failed");
		return FALSE;
	}
	p = der;
	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (sig == NULL) {
		ERR_clear_error();
		g_set_error_literal(error, BDFU_ERROR, BDFU_ERROR_FAILED, "ECDSA signing failed");
		return FALSE;
	}
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, be, BDFU_P256_COORD) != BDFU_P256_COORD ||
	    BN_bn2binpad(s, be + BDFU_P256_COORD, BDFU_P256_COORD) != BDFU_P256_COORD) {
		g_set_error_literal(error, BDFU_ERROR, BDFU_ERROR_FAILED, "ECDSA signing failed");
		return FALSE;
	}
	bdfu_reverse32(be, sig_le);
	bdfu_reverse32(be + BDFU_P256_COORD, sig_le + BDFU_P256_COORD);
	return TRUE;
}
