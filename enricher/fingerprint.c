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

static void vote(int32_t v[64], uint64_t h)
{
        for (int bit = 0; bit < 64; bit++)
                v[bit] += (h >> bit) & 1 ? 1 : -1;
}

uint64_t enricher_fingerprint_simhash(const struct enricher_tokens *tk)
{
        int32_t v[64];
        uint64_t fp = 0;

        if (tk->n == 0)
                return 0;
        memset(v, 0, sizeof(v));
        if (tk->n < 3) {
                vote(v,
                     shingle_hash(tk->v[0].h, tk->n > 1 ? tk->v[1].h : 0, 0));
        } else {
                for (size_t i = 0; i + 2 < tk->n; i++)
                        vote(v, shingle_hash(tk->v[i].h, tk->v[i + 1].h,
                                             tk->v[i + 2].h));
        }
        for (int bit = 0; bit < 64; bit++) {
                if (v[bit] > 0)
                        fp |= 1ULL << bit;
        }
        return fp;
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
