/* The enricher's tokenizer: folding, word boundaries, code point offsets. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "enricher/enricher.h"

static struct enricher_tokens tk;

static void setup(void)
{
        enricher_tokens_init(&tk);
}

static void teardown(void)
{
        enricher_tokens_release(&tk);
}

static void tokenize(const char *s)
{
        enricher_tokenize(&tk, s, strlen(s));
}

static int fold_is(size_t i, const char *want)
{
        size_t n;
        const char *f = enricher_tok_fold(&tk, i, &n);

        return n == strlen(want) && memcmp(f, want, n) == 0;
}

/* The tokens' folded forms joined by single spaces. */
static void check_fold(const char *in, const char *want)
{
        struct enricher_tokens t;
        char got[256];
        size_t o = 0;

        enricher_tokens_init(&t);
        enricher_tokenize(&t, in, strlen(in));
        for (size_t i = 0; i < t.n && o < sizeof(got) - 1; i++) {
                size_t n;
                const char *f = enricher_tok_fold(&t, i, &n);

                if (i)
                        got[o++] = ' ';
                if (n > sizeof(got) - 1 - o)
                        n = sizeof(got) - 1 - o;
                memcpy(got + o, f, n);
                o += n;
        }
        got[o] = '\0';
        enricher_tokens_release(&t);
        cr_expect_str_eq(got, want, "fold(%s)", in);
}

TestSuite(enricher_tokens, .init = setup, .fini = teardown);

Test(enricher_tokens, folds_accents_and_case)
{
        check_fold("Sergueï Choïgou", "serguei choigou");
        check_fold("Alliance des ÉTATS du Sahel",
                   "alliance des etats du sahel");
        check_fold("Burkinabè Goïta Ménaka Ségou",
                   "burkinabe goita menaka segou");
        check_fold("Œuvre CŒUR Ærø Łódź", "oeuvre coeur aero lodz");
        check_fold("Straße", "strasse");
        check_fold("ﬁnance", "finance"); /* compatibility ligature */
}

Test(enricher_tokens, nfd_folds_like_nfc)
{
        /* "Célestin" with a combining acute accent */
        check_fold("Ce\xcc\x81lestin Simpore\xcc\x81", "celestin simpore");
}

Test(enricher_tokens, apostrophes_and_hyphens_split_words)
{
        check_fold("l’Alliance d'Information", "l alliance d information");
        check_fold("Afrique de l’Ouest", "afrique de l ouest");
        check_fold("Al-Qaïda Bobo-Dioulasso", "al qaida bobo dioulasso");
}

Test(enricher_tokens, offsets_are_code_points)
{
        const char *s = "Le général Célestin Simporé, à Ouagadougou.";

        tokenize(s);
        cr_assert_eq(tk.n, 6);
        cr_expect(fold_is(1, "general"));
        cr_expect_eq(tk.v[1].c0, 3);
        cr_expect_eq(tk.v[1].c1, 10);
        cr_expect_eq(tk.v[1].b1 - tk.v[1].b0, 9); /* é is two bytes */
        cr_expect(fold_is(3, "simpore"));
        cr_expect_eq(tk.v[3].c0, 20);
        cr_expect_eq(tk.v[3].c1, 27);
        cr_expect(fold_is(5, "ouagadougou"));
        cr_expect_eq(tk.v[5].c0, 31);
        cr_expect_eq(tk.v[5].c1, 42);
        cr_expect_eq(tk.ncp, 43);
}

Test(enricher_tokens, case_flags)
{
        tokenize("AES Alliance aes FAMa McDonald");
        cr_expect(tk.v[0].flags & ENRICHER_TOK_ALLCAPS);
        cr_expect(tk.v[0].flags & ENRICHER_TOK_CAP);
        cr_expect_eq(tk.v[0].upmask, 7);
        cr_expect(tk.v[1].flags & ENRICHER_TOK_CAP);
        cr_expect_not(tk.v[1].flags & ENRICHER_TOK_ALLCAPS);
        cr_expect_not(tk.v[2].flags & ENRICHER_TOK_CAP);
        cr_expect_not(tk.v[3].flags & ENRICHER_TOK_ALLCAPS);
        cr_expect_eq(tk.v[3].upmask, 7);
        cr_expect(tk.v[4].flags & ENRICHER_TOK_MIXED);
}

Test(enricher_tokens, gaps)
{
        tokenize("Burkina Faso, Guinée-Bissau l’AES\n"
                 "M. Dupont - Mali\n\nFin");
        /* Burkina Faso Guinée Bissau l AES | M Dupont Mali || Fin */
        cr_assert_eq(tk.n, 10);
        cr_expect(tk.v[0].flags & ENRICHER_TOK_LINE);
        cr_expect(tk.v[0].flags & ENRICHER_TOK_PARA);
        cr_expect(tk.v[1].flags & ENRICHER_TOK_JOIN);
        cr_expect_not(tk.v[2].flags & ENRICHER_TOK_JOIN);        /* comma */
        cr_expect(tk.v[3].flags & ENRICHER_TOK_HYPHEN);
        cr_expect(tk.v[3].flags & ENRICHER_TOK_JOIN);
        cr_expect(tk.v[5].flags & ENRICHER_TOK_JOIN);            /* l’AES */
        cr_expect(tk.v[6].flags & ENRICHER_TOK_LINE);
        cr_expect_not(tk.v[6].flags & ENRICHER_TOK_PARA);
        cr_expect(tk.v[7].flags & ENRICHER_TOK_DOT);             /* M. */
        cr_expect_not(tk.v[8].flags & ENRICHER_TOK_JOIN);        /* " - " */
        cr_expect(tk.v[9].flags & ENRICHER_TOK_PARA);
}

Test(enricher_tokens, glued_caption_is_split)
{
        tokenize("Ministre de la DéfenseFédération de Russie, "
                 "défenseBurkina");
        cr_assert_eq(tk.n, 9);
        cr_expect(fold_is(3, "defense"));
        cr_expect(fold_is(4, "federation"));
        cr_expect_not(tk.v[4].flags & ENRICHER_TOK_JOIN);
        cr_expect(fold_is(7, "defense"));
        cr_expect(fold_is(8, "burkina"));
        tokenize("McDonald iPhone LeBron");
        cr_expect_eq(tk.n, 3);
}

Test(enricher_tokens, invalid_utf8_is_a_separator)
{
        tokenize("Mali\xff" "Niger");
        cr_assert_eq(tk.n, 2);
        cr_expect_eq(tk.v[1].c0, 5);
        cr_expect_eq(tk.ncp, 10);
}

Test(enricher_tokens, same_hash_for_same_fold)
{
        uint64_t h;

        tokenize("CHOÏGOU choigou Choïgou");
        h = tk.v[0].h;
        cr_expect_eq(tk.v[1].h, h);
        cr_expect_eq(tk.v[2].h, h);
        cr_expect_eq(enricher_hash_bytes("choigou", 7), h);
}

Test(enricher_tokens, empty_and_reuse)
{
        tokenize("");
        cr_expect_eq(tk.n, 0);
        cr_expect_eq(tk.ncp, 0);
        tokenize("« » … !");
        cr_expect_eq(tk.n, 0);
        tokenize("Moscou");
        cr_expect_eq(tk.n, 1);
}

/* The tagger's document-level case evidence: a capitalised word also seen
 * in lowercase (a sentence-initial "Le"), or capitalised in mid-sentence
 * (a name, wherever it stands); set only when asked for, and anew for each
 * text (the table is reused across texts). */
Test(enricher_tokens, case_evidence)
{
        static const char s[] = "Hier Dupont est venu. Dupont a vu le mot.\n"
                                "Le mot. Mot";

        tokenize(s);
        for (size_t i = 0; i < tk.n; i++)
                cr_expect_not(tk.v[i].flags & (ENRICHER_TOK_LOWSEEN |
                                               ENRICHER_TOK_CAPSEEN));
        enricher_tokens_case_evidence(&tk);
        cr_assert_eq(tk.n, 12);
        /* "Hier": once, at the start */
        cr_expect_not(tk.v[0].flags & (ENRICHER_TOK_LOWSEEN |
                                       ENRICHER_TOK_CAPSEEN));
        /* "Dupont" after "Hier", and again after ". " */
        cr_expect(tk.v[1].flags & ENRICHER_TOK_CAPSEEN);
        cr_expect(tk.v[4].flags & ENRICHER_TOK_CAPSEEN);
        cr_expect_not(tk.v[4].flags & ENRICHER_TOK_LOWSEEN);
        /* "Le" at a line start: "le" is lowercase elsewhere */
        cr_expect(tk.v[9].flags & ENRICHER_TOK_LOWSEEN);
        cr_expect_not(tk.v[9].flags & ENRICHER_TOK_CAPSEEN);
        /* "Mot" after ". ": "mot" is lowercase elsewhere */
        cr_expect(tk.v[11].flags & ENRICHER_TOK_LOWSEEN);
        /* lowercase words get neither */
        cr_expect_not(tk.v[7].flags & (ENRICHER_TOK_LOWSEEN |
                                       ENRICHER_TOK_CAPSEEN));
        /* another text: nothing left over from this one */
        tokenize("Dupont. Le");
        enricher_tokens_case_evidence(&tk);
        cr_expect_not(tk.v[0].flags & ENRICHER_TOK_CAPSEEN);
        cr_expect_not(tk.v[1].flags & ENRICHER_TOK_LOWSEEN);
}
