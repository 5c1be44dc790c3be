/* Tokenizer and folding: words, their folded match keys and their offsets
 * in code points, in one pass over the text. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "veille/mem.h"
#include "veille/text.h"
#include "enricher.h"

enum cclass { C_SPACE, C_NEWLINE, C_HYPHEN, C_APOS, C_DOT, C_PUNCT, C_WORD,
              C_MARK };

void enricher_tokens_init(struct enricher_tokens *tk)
{
        memset(tk, 0, sizeof(*tk));
}

void enricher_tokens_release(struct enricher_tokens *tk)
{
        free(tk->v);
        free(tk->fold);
        free(tk->dk);
        memset(tk, 0, sizeof(*tk));
}

uint64_t enricher_hash_bytes(const char *p, size_t n)
{
        uint64_t h = 0xcbf29ce484222325ULL;

        for (size_t i = 0; i < n; i++) {
                h ^= (unsigned char)p[i];
                h *= 0x100000001b3ULL;
        }
        return enricher_mix64(h ^ n);
}

static enum cclass classify(int32_t cp)
{
        if (cp < 0x80) {
                if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
                    (cp >= '0' && cp <= '9'))
                        return C_WORD;
                switch (cp) {
                case ' ': case '\t': case '\r': case '\f': case '\v':
                        return C_SPACE;
                case '\n':
                        return C_NEWLINE;
                case '-':
                        return C_HYPHEN;
                case '\'': case '`':
                        return C_APOS;
                case '.':
                        return C_DOT;
                default:
                        return C_PUNCT;
                }
        }
        switch (cp) {
        case 0x2018: case 0x2019: case 0x02bc: case 0x00b4: case 0x2032:
                return C_APOS;
        case 0x2010: case 0x2011:
                return C_HYPHEN;
        case 0x2028: case 0x2029: case 0x0085:
                return C_NEWLINE;
        default:
                break;
        }
        switch (utf8proc_category(cp)) {
        case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
        case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
                return C_WORD;
        case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
        case UTF8PROC_CATEGORY_ME:
                return C_MARK;
        case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_CF:
                return C_SPACE;
        default:
                return C_PUNCT;
        }
}

/* 1 uppercase, -1 lowercase, 0 neither (digits, CJK, modifier letters) */
static int letter_case(int32_t cp)
{
        if (cp < 0x80) {
                if (cp >= 'A' && cp <= 'Z')
                        return 1;
                if (cp >= 'a' && cp <= 'z')
                        return -1;
                return 0;
        }
        switch (utf8proc_category(cp)) {
        case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LT:
                return 1;
        case UTF8PROC_CATEGORY_LL:
                return -1;
        default:
                return 0;
        }
}

static int is_letter(int32_t cp)
{
        if (cp < 0x80)
                return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
        switch (utf8proc_category(cp)) {
        case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
        case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO:
                return 1;
        default:
                return 0;
        }
}

static void fold_reserve(struct enricher_tokens *tk, size_t more)
{
        if (tk->flen + more <= tk->fcap)
                return;
        tk->fcap = tk->fcap ? tk->fcap * 2 : 4096;
        while (tk->fcap < tk->flen + more)
                tk->fcap *= 2;
        tk->fold = vl_xrealloc(tk->fold, tk->fcap);
}

static void fold_put(struct enricher_tokens *tk, const char *p, size_t n)
{
        fold_reserve(tk, n);
        memcpy(tk->fold + tk->flen, p, n);
        tk->flen += n;
}

/* Append the folded form of one code point: vl_text_fold_cp(), with its
 * ASCII case inlined (most of the text, and the hot path). */
static void fold_cp(struct enricher_tokens *tk, int32_t cp)
{
        int32_t out[VL_TEXT_FOLD_CP_MAX];
        utf8proc_uint8_t enc[4];
        size_t n;

        if (cp < 0x80) {
                char c = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);

                fold_put(tk, &c, 1);
                return;
        }
        n = vl_text_fold_cp(cp, out);
        for (size_t i = 0; i < n; i++) {
                utf8proc_ssize_t m = utf8proc_encode_char(out[i], enc);

                fold_put(tk, (const char *)enc, (size_t)m);
        }
}

/* The gap since the previous token, accumulated character by character. */
struct gap {
        unsigned newlines, spaces, hyphens, apos, dots, punct, blank_line;
        int line_has_text; /* since the last newline, anything but blanks */
};

static uint16_t gap_flags(const struct gap *g, int first)
{
        uint16_t f = 0;

        if (first || g->newlines)
                f |= ENRICHER_TOK_LINE;
        if (first || g->blank_line)
                f |= ENRICHER_TOK_PARA;
        if (first || g->newlines)
                return f;
        /* a spaced dash (" - ") separates, a hyphen joins */
        if (!g->punct && !g->dots && g->hyphens + g->apos <= 2 &&
            !(g->hyphens && g->spaces))
                f |= ENRICHER_TOK_JOIN;
        if (!g->punct && !g->dots && g->hyphens == 1 && !g->apos &&
            !g->spaces)
                f |= ENRICHER_TOK_HYPHEN;
        if (!g->punct && g->dots == 1 && !g->hyphens && !g->apos)
                f |= ENRICHER_TOK_DOT;
        return f;
}

static struct enricher_tok *tok_push(struct enricher_tokens *tk)
{
        if (tk->n == tk->cap) {
                tk->cap = tk->cap ? tk->cap * 2 : 256;
                tk->v = vl_xrealloc(tk->v, tk->cap * sizeof(*tk->v));
        }
        return memset(&tk->v[tk->n++], 0, sizeof(*tk->v));
}

/* A word starting at byte @p i, code point @p cp_i, after the gap @p g
 * (which is reset). */
static struct enricher_tok *tok_start(struct enricher_tokens *tk, size_t i,
                                      uint32_t cp_i, struct gap *g, int first)
{
        struct enricher_tok *t = tok_push(tk);

        t->b0 = (uint32_t)i;
        t->c0 = cp_i;
        t->f0 = (uint32_t)tk->flen;
        t->flags = gap_flags(g, first);
        memset(g, 0, sizeof(*g));
        return t;
}

static void tok_finish(struct enricher_tokens *tk, struct enricher_tok *t,
                       int nlower)
{
        t->f1 = (uint32_t)tk->flen;
        t->h = enricher_hash_bytes(tk->fold + t->f0, t->f1 - t->f0);
        if (t->nlet >= 2 && nlower == 0 && t->upmask)
                t->flags |= ENRICHER_TOK_ALLCAPS;
}

/* ASCII letters and digits: 1 lowercase, 2 digit, 3 uppercase */
static const uint8_t ascii_word[128] = {
        ['0'] = 2, ['1'] = 2, ['2'] = 2, ['3'] = 2, ['4'] = 2, ['5'] = 2,
        ['6'] = 2, ['7'] = 2, ['8'] = 2, ['9'] = 2,
        ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
        ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
        ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
        ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
        ['y'] = 1, ['z'] = 1,
        ['A'] = 3, ['B'] = 3, ['C'] = 3, ['D'] = 3, ['E'] = 3, ['F'] = 3,
        ['G'] = 3, ['H'] = 3, ['I'] = 3, ['J'] = 3, ['K'] = 3, ['L'] = 3,
        ['M'] = 3, ['N'] = 3, ['O'] = 3, ['P'] = 3, ['Q'] = 3, ['R'] = 3,
        ['S'] = 3, ['T'] = 3, ['U'] = 3, ['V'] = 3, ['W'] = 3, ['X'] = 3,
        ['Y'] = 3, ['Z'] = 3,
};

/* LOWSEEN and CAPSEEN: one pass records how each folded word is written
 * (lowercase; capitalised in mid-sentence), a second marks the capitalised
 * words. An open-addressing table of at least twice the tokens, whose
 * slots belong to the text when their generation is the text's (no
 * clearing per text). */
void enricher_tokens_case_evidence(struct enricher_tokens *tk)
{
        size_t cap = 256, mask;
        uint32_t gen;

        while (cap < tk->n * 2)
                cap *= 2;
        if (cap > tk->dcap) {
                free(tk->dk);
                tk->dk = vl_xcalloc(cap, sizeof(*tk->dk));
                tk->dcap = cap;
                tk->dgen = 0;
        }
        if (++tk->dgen == 1 << 24) { /* the generations wrap: clear */
                memset(tk->dk, 0, tk->dcap * sizeof(*tk->dk));
                tk->dgen = 1;
        }
        gen = tk->dgen;
        mask = tk->dcap - 1;
        for (size_t i = 0; i < tk->n; i++) {
                const struct enricher_tok *t = &tk->v[i];
                uint64_t how = !(t->flags & ENRICHER_TOK_CAP) ? 1
                               : (t->flags & ENRICHER_TOK_JOIN) ? 2
                                                               : 0;
                size_t k;

                if (!how || !t->nlet)
                        continue;
                k = (size_t)(t->h >> 20) & mask;
                while (tk->dk[k].gen == gen && tk->dk[k].h != t->h)
                        k = (k + 1) & mask;
                if (tk->dk[k].gen != gen) {
                        tk->dk[k].h = t->h;
                        tk->dk[k].gen = gen;
                        tk->dk[k].how = 0;
                }
                tk->dk[k].how |= (uint8_t)how;
        }
        for (size_t i = 0; i < tk->n; i++) {
                struct enricher_tok *t = &tk->v[i];
                size_t k;

                if (!(t->flags & ENRICHER_TOK_CAP))
                        continue;
                k = (size_t)(t->h >> 20) & mask;
                while (tk->dk[k].gen == gen && tk->dk[k].h != t->h)
                        k = (k + 1) & mask;
                if (tk->dk[k].gen != gen)
                        continue;
                if (tk->dk[k].how & 1)
                        t->flags |= ENRICHER_TOK_LOWSEEN;
                if (tk->dk[k].how & 2)
                        t->flags |= ENRICHER_TOK_CAPSEEN;
        }
}

void enricher_tokenize(struct enricher_tokens *tk, const char *s, size_t len)
{
        const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
        struct enricher_tok *t = NULL; /* the token being read */
        struct gap g;
        size_t i = 0;
        uint32_t cp_i = 0;
        int nlower = 0, prev_case = 0, first = 1;

        tk->n = 0;
        tk->flen = 0;
        memset(&g, 0, sizeof(g));
        while (i < len) {
                utf8proc_int32_t cp;
                utf8proc_ssize_t k;
                enum cclass cc;

                if (p[i] < 0x80 && ascii_word[p[i]]) {
                        /* a run of ASCII letters and digits: the
                         * per-character case below, without the
                         * classification */
                        size_t j = i;
                        char *f;

                        if (!t) {
                                t = tok_start(tk, i, cp_i, &g, first);
                                first = nlower = prev_case = 0;
                        }

                        while (j < len && p[j] < 0x80 && ascii_word[p[j]])
                                j++;
                        fold_reserve(tk, j - i);
                        f = tk->fold + tk->flen;
                        for (; i < j; i++, cp_i++) {
                                unsigned char c = p[i];

                                if (ascii_word[c] == 1) { /* lowercase */
                                        nlower++;
                                        prev_case = -1;
                                        if (t->nlet < UINT16_MAX)
                                                t->nlet++;
                                } else if (ascii_word[c] == 2) { /* digit */
                                        t->flags |= ENRICHER_TOK_DIGIT;
                                } else if (prev_case < 0) {
                                        break; /* a case change: below */
                                } else {
                                        if (t->nlet < 16)
                                                t->upmask |= (uint16_t)(
                                                        1u << t->nlet);
                                        if (t->nlet == 0)
                                                t->flags |= ENRICHER_TOK_CAP;
                                        prev_case = 1;
                                        if (t->nlet < UINT16_MAX)
                                                t->nlet++;
                                        c = (unsigned char)(c + 32);
                                }
                                *f++ = (char)c;
                                tk->flen++;
                                t->b1 = (uint32_t)(i + 1);
                                t->c1 = cp_i + 1;
                        }
                        if (i >= len)
                                break;
                        /* p[i] is not a letter or digit of ASCII, or is an
                         * uppercase letter after a lowercase one */
                }
                if (p[i] < 0x80) { /* ASCII: most of the text */
                        cp = p[i];
                        k = 1;
                } else {
                        k = utf8proc_iterate(p + i,
                                             (utf8proc_ssize_t)(len - i), &cp);
                }
                if (k <= 0) { /* invalid byte: a separator of one code point */
                        cp = 0xfffd;
                        k = 1;
                }
                cc = classify(cp);
                if (cc == C_MARK && !t)
                        cc = C_PUNCT;
                if (cc == C_WORD && t && prev_case < 0 && letter_case(cp) > 0 &&
                    t->nlet >= 4 && t->nlet < 16 && (t->upmask & ~1u) == 0 &&
                    nlower + (t->upmask & 1) == t->nlet) {
                        /* "défenseBurkina": a caption glued to the text */
                        tok_finish(tk, t, nlower);
                        t = NULL;
                        g.punct = 1;
                }
                if (cc == C_WORD || cc == C_MARK) {
                        if (!t) {
                                t = tok_start(tk, i, cp_i, &g, first);
                                first = nlower = prev_case = 0;
                        }
                        if (cc == C_WORD && cp < 0x80 && cp >= '0' &&
                            cp <= '9')
                                t->flags |= ENRICHER_TOK_DIGIT;
                        if (cc == C_WORD && is_letter(cp)) {
                                int lc = letter_case(cp);

                                if (lc > 0) {
                                        if (t->nlet < 16)
                                                t->upmask |=
                                                        (uint16_t)(1u
                                                                   << t->nlet);
                                        if (t->nlet == 0)
                                                t->flags |= ENRICHER_TOK_CAP;
                                        else if (prev_case < 0)
                                                t->flags |= ENRICHER_TOK_MIXED;
                                } else if (lc < 0) {
                                        nlower++;
                                }
                                if (lc)
                                        prev_case = lc;
                                if (t->nlet < UINT16_MAX)
                                        t->nlet++;
                        }
                        fold_cp(tk, cp);
                        t->b1 = (uint32_t)(i + (size_t)k);
                        t->c1 = cp_i + 1;
                } else {
                        if (t) {
                                tok_finish(tk, t, nlower);
                                t = NULL;
                        }
                        switch (cc) {
                        case C_NEWLINE:
                                if (!g.line_has_text && g.newlines)
                                        g.blank_line = 1;
                                g.newlines++;
                                g.line_has_text = 0;
                                break;
                        case C_SPACE:
                                g.spaces++;
                                break;
                        case C_HYPHEN:
                                g.hyphens++;
                                g.line_has_text = 1;
                                break;
                        case C_APOS:
                                g.apos++;
                                g.line_has_text = 1;
                                break;
                        case C_DOT:
                                g.dots++;
                                g.line_has_text = 1;
                                break;
                        default:
                                g.punct++;
                                g.line_has_text = 1;
                                break;
                        }
                }
                i += (size_t)k;
                cp_i++;
        }
        if (t)
                tok_finish(tk, t, nlower);
        tk->ncp = cp_i;
}
