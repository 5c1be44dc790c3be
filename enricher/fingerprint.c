/* SimHash (Charikar) of word 3-shingles: near-identical texts share most
 * shingles, so most bit votes agree and the fingerprints differ in few bits.
 * The words are the tokenizer's folded words: case, accents and punctuation
 * do not change the fingerprint. */
#include <string.h>
#include "enricher.h"

static uint64_t shingle_hash(uint64_t a, uint64_t b, uint64_t c)
{
        return enricher_hash_seq(enricher_hash_seq(enricher_hash_seq(
                                         0x510e527fade682d1ULL, a), b), c);
}

/* The votes are counted bit-sliced: plane[j] holds bit j of the 64
 * per-position counts of ones, so adding one hash is a ripple of ANDs and
 * XORs (two planes on average) instead of 64 additions. Bit k of the
 * fingerprint is set when more than half of the shingles have bit k set
 * (a positive +1/-1 vote). */
struct votes {
        uint64_t plane[32];
        uint32_t n;
};

static void vote(struct votes *v, uint64_t h)
{
        for (int j = 0; h; j++) {
                uint64_t carry = v->plane[j] & h;

                v->plane[j] ^= h;
                h = carry;
        }
        v->n++;
}

static uint64_t majority(const struct votes *v)
{
        uint64_t fp = 0;

        for (int bit = 0; bit < 64; bit++) {
                uint64_t ones = 0;

                for (int j = 0; j < 32; j++)
                        ones |= ((v->plane[j] >> bit) & 1) << j;
                if (2 * ones > v->n)
                        fp |= 1ULL << bit;
        }
        return fp;
}

/* The i-th shingle of @p tk (a text of fewer than 3 words is one) */
static uint64_t shingle(const struct enricher_tokens *tk, size_t i)
{
        return shingle_hash(tk->v[i].h, i + 1 < tk->n ? tk->v[i + 1].h : 0,
                            i + 2 < tk->n ? tk->v[i + 2].h : 0);
}

static size_t shingles(const struct enricher_tokens *tk)
{
        return tk->n == 0 ? 0 : tk->n < 3 ? 1 : tk->n - 2;
}

/* One-permutation MinHash: each shingle's hash goes to a bucket (its top 4
 * bits) and each bucket keeps its smallest low 32 bits; an empty bucket
 * (texts of a few words) keeps UINT32_MAX. */
static void minhash_put(uint32_t *sig, uint64_t h)
{
        unsigned b = (unsigned)(h >> 60);

        if ((uint32_t)h < sig[b])
                sig[b] = (uint32_t)h;
}

void enricher_fingerprint(const struct enricher_tokens *tk, uint64_t *simhash,
                          uint32_t sig[ENRICHER_MINHASH_K])
{
        struct votes v;
        size_t n = shingles(tk);

        memset(&v, 0, sizeof(v));
        for (int k = 0; k < ENRICHER_MINHASH_K; k++)
                sig[k] = UINT32_MAX;
        for (size_t i = 0; i < n; i++) {
                uint64_t h = shingle(tk, i);

                vote(&v, h);
                minhash_put(sig, h);
        }
        *simhash = n ? majority(&v) : 0;
}

uint64_t enricher_fingerprint_simhash(const struct enricher_tokens *tk)
{
        uint64_t sim;
        uint32_t sig[ENRICHER_MINHASH_K];

        enricher_fingerprint(tk, &sim, sig);
        return sim;
}

uint64_t enricher_fingerprint_text(const char *s, size_t len)
{
        struct enricher_tokens tk;
        uint64_t fp;

        enricher_tokens_init(&tk);
        enricher_tokenize(&tk, s, len);
        fp = enricher_fingerprint_simhash(&tk);
        enricher_tokens_release(&tk);
        return fp;
}

int enricher_fingerprint_distance(uint64_t a, uint64_t b)
{
        return __builtin_popcountll(a ^ b);
}
