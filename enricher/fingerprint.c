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

uint64_t enricher_fingerprint_simhash(const struct enricher_tokens *tk)
{
        struct votes v;

        if (tk->n == 0)
                return 0;
        memset(&v, 0, sizeof(v));
        if (tk->n < 3) {
                vote(&v,
                     shingle_hash(tk->v[0].h, tk->n > 1 ? tk->v[1].h : 0, 0));
        } else {
                for (size_t i = 0; i + 2 < tk->n; i++)
                        vote(&v, shingle_hash(tk->v[i].h, tk->v[i + 1].h,
                                              tk->v[i + 2].h));
        }
        return majority(&v);
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
