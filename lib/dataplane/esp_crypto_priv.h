/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_ESP_CRYPTO_PRIV_H
#define ESPGATE_ESP_CRYPTO_PRIV_H

/*
 * What the engines behind esp_crypto.h share: esp_crypto.c (the public
 * functions, dispatching on the engine kind, and 'ipsecmb') and
 * esp_crypto_cdev.c ('cryptodev'). Not an interface for anyone else.
 */

#include <stddef.h>
#include <stdint.h>

#include "esp_crypto.h"

enum esp_engine_kind {
	ESP_KIND_IPSECMB = 1,
	ESP_KIND_CRYPTODEV = 2,
};

/* Both engines' private key layouts begin with these two bytes: READY
 * once keyed (zero after a wipe), then the kind of the engine that keyed
 * them; esp_keys_wipe and the op checks read them. */
#define ESP_KEYS_READY 0xa5

static inline enum esp_engine_kind esp_keys_kind(const struct esp_keys *k)
{
	return k->k_opaque[0] == ESP_KEYS_READY ?
		(enum esp_engine_kind)k->k_opaque[1] : (enum esp_engine_kind)0;
}

/* The cryptodev engine's state (esp_crypto_cdev.c). */
struct esp_cdev;

struct esp_cdev *esp_cdev_create(uint8_t dev_id, uint16_t qp_id,
				 struct rte_mempool *op_pool,
				 struct rte_mempool *sess_pool);
void esp_cdev_free(struct esp_cdev *c);
const char *esp_cdev_name(const struct esp_cdev *c);
int esp_cdev_aad_lens(struct esp_cdev *c, const uint8_t *lens, unsigned n);
/* Bytes of struct esp_keys a cryptodev engine's keys use. */
size_t esp_cdev_keys_size(void);
/* k arrives zeroed and algo-checked; on failure k is left zeroed. */
int esp_cdev_keys_init(struct esp_cdev *c, struct esp_keys *k,
		       const struct esp_algo *a);
/* Frees the sessions of a cryptodev-keyed k; the caller wipes k. */
void esp_cdev_keys_release(struct esp_keys *k);
void esp_cdev_run(struct esp_cdev *c, struct esp_crypto_op *ops, unsigned n);

#endif
