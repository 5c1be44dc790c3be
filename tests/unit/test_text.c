/* lib/src/vl_text.c: UTF-8, white space, folding, character references,
 * JSON strings. The cases come from the parser, the sink and the fetcher,
 * which each had a copy. */
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <utf8proc.h>
#include "veille/text.h"

/* ------------------------------------------------------------------ UTF-8 */

Test(text, utf8)
{
        size_t n;
        char *r;

        cr_assert(vl_utf8_valid("\xc3\xa9\xf0\x9f\x98\x80", 6));
        cr_assert_not(vl_utf8_valid("\xc0\xaf", 2));     /* overlong */
        /* a surrogate */
        cr_assert_not(vl_utf8_valid("\xed\xa0\x80", 3));
        cr_assert_not(vl_utf8_valid("\xf4\x90\x80\x80", 4));
        cr_assert_not(vl_utf8_valid("\xe2\x82", 2));
        r = vl_utf8_repair("a\xffz\0y\x01", 6, &n);
        cr_assert_str_eq(r, "a\xef\xbf\xbdzy ");
        cr_assert_eq(n, strlen(r));
        free(r);
}

Test(text, utf8_repair_is_per_byte)
{
        char *s = vl_utf8_repair("ok \xe2\x82", 5, NULL);

        cr_assert_str_eq(s, "ok \xef\xbf\xbd\xef\xbf\xbd");
        free(s);
}

Test(text, utf8_scan_and_seq)
{
        size_t multi, bad;

        vl_utf8_scan("caf\xc3\xa9 \xe9t\xe9", 9, &multi, &bad);
        cr_expect_eq(multi, 1);
        cr_expect_eq(bad, 2);
        vl_utf8_scan("", 0, NULL, NULL);
        cr_expect_eq(vl_utf8_seq("\xe2\x80\x99", 3), 3);
        cr_expect_eq(vl_utf8_seq("\xe2\x80\x99", 2), 0); /* cut short */
        cr_expect_eq(vl_utf8_seq("\x80", 1), 0);
}

Test(text, cp1252)
{
        cr_expect_eq(vl_cp1252(0x80), 0x20ac);
        cr_expect_eq(vl_cp1252(0x96), 0x2013);
        cr_expect_eq(vl_cp1252(0x81), 0x81); /* undefined: stays C1 */
        cr_expect_eq(vl_cp1252(0xe9), 0xe9);
        cr_expect_eq(vl_cp1252('a'), 'a');
}

/* ----------------------------------------------------------- white space */

static void expect_collapse(const char *in, const char *want)
{
        char *got = vl_text_collapse(in);

        cr_expect_str_eq(got, want, "collapse(\"%s\")", in);
        free(got);
}

Test(text, collapses_white_space)
{
        expect_collapse("  a \t\n b  ", "a b");
        expect_collapse("a\xc2\xa0:\xe2\x80\xaf!", "a : !");  /* nbsp, nnbsp */
        expect_collapse("zero\xe2\x80\x8bwidth soft\xc2\xadhyphen",
                        "zerowidth softhyphen");
        expect_collapse("\xe2\x80\x83\xe3\x80\x80", "");
        expect_collapse("", "");
        expect_collapse(NULL, "");
}

Test(text, collapse_repairs_and_reads_c1_as_1252)
{
        /* windows-1252 text mislabelled as latin-1: U+0096 is an en dash,
         * U+0092 an apostrophe; U+0081 is nothing */
        expect_collapse("a \xc2\x96 l\xc2\x92" "eau\xc2\x81",
                        "a \xe2\x80\x93 l\xe2\x80\x99" "eau");
        expect_collapse("a\xff" "b\xc3", "a\xef\xbf\xbd" "b\xef\xbf\xbd");
        expect_collapse("x \xff y", "x \xef\xbf\xbd y");
        expect_collapse("bell\x07\x7f!", "bell!");
}

Test(text, builder_keeps_words_apart)
{
        struct vl_text tb;
        char *s;

        vl_text_init(&tb);
        vl_text_add(&tb, "Bonjour ", 8);
        vl_text_add(&tb, "le", 2);
        vl_text_add(&tb, "monde", 5);
        vl_text_space(&tb);
        vl_text_add(&tb, " !", 2);
        s = vl_text_take(&tb);
        cr_assert_str_eq(s, "Bonjour lemonde !");
        free(s);
        vl_text_add(&tb, "a ", 2);
        vl_text_raw(&tb, "\n");
        vl_text_add(&tb, " b", 2);
        s = vl_text_take(&tb);
        cr_assert_str_eq(s, "a\n b");
        free(s);
        vl_text_add(&tb, "x", 1);
        vl_text_reset(&tb);
        s = vl_text_take(&tb);
        cr_assert_str_eq(s, "");
        free(s);
        vl_text_release(&tb);
}

/* ---------------------------------------------------------------- folding */

static void check_fold(const char *in, const char *want)
{
        char *got = vl_text_fold(in, 0);

        cr_assert_not_null(got, "fold('%s') failed", in);
        cr_expect_str_eq(got, want, "fold('%s')", in);
        free(got);
}

Test(text, folds)
{
        char *a = vl_text_fold("  \xc3\x89l\xc3\xa9phant  \xc3\x87" "a VA ", 0);
        char *b = vl_text_fold("Sahel-Actu.com", VL_FOLD_ALNUM);
        char *c = vl_text_fold("\xc5\x93uvre", VL_FOLD_ALNUM);

        cr_assert_str_eq(a, "elephant ca va");
        cr_assert_str_eq(b, "sahelactucom");
        free(b);
        b = vl_text_fold(" Jeanne  Dupont ", VL_FOLD_ALNUM);
        cr_assert_str_eq(b, "jeannedupont");
        /* the parser's copy kept œ; the enricher's spelled it out, and so
         * does the one fold now */
        cr_assert_str_eq(c, "oeuvre");
        free(a);
        free(b);
        free(c);
}

Test(text, case_and_accents)
{
        check_fold("RUSSIE", "russie");
        check_fold("Russie", "russie");
        check_fold("Burkina Faso", "burkina faso");
        check_fold("Côte d’Ivoire", "cote d'ivoire");
        check_fold("SERGUEÏ CHOÏGOU", "serguei choigou");
        check_fold("Straße", "strasse");
        check_fold("Œuvre CŒUR Ærø Łódź Đakovo",
                   "oeuvre coeur aero lodz dakovo");
}

Test(text, decomposed_input_folds_like_composed)
{
        check_fold("Co\xcc\x82te", "cote"); /* o + U+0302 */
        /* Hangul is composed again: NFKC, not NFKD */
        check_fold("\xed\x95\x9c", "\xed\x95\x9c");
}

Test(text, whitespace_collapsed_and_trimmed)
{
        check_fold("  Burkina \t Faso\n", "burkina faso");
        check_fold("Burkina\xc2\xa0" "Faso", "burkina faso"); /* no-break */
        check_fold("Burkina\xe2\x80\xa8" "Faso", "burkina faso"); /* U+2028 */
        check_fold("", "");
        check_fold("   ", "");
        check_fold(NULL, "");
}

Test(text, compatibility_and_ignorables)
{
        check_fold("\xef\xac\x81nance", "finance");   /* U+FB01 fi ligature */
        check_fold("Wag\xc2\xadner", "wagner");        /* soft hyphen */
        check_fold("Al\xe2\x80\x90Shabaab", "al-shabaab"); /* U+2010 */
        check_fold("a\xe2\x80\x8b" "b\x01" "c", "abc"); /* ZWSP, control */
}

Test(text, look_alike_punctuation_lumped)
{
        check_fold("l\xe2\x80\x99" "arm\xc3\xa9" "e", "l'armee");     /* ’ */
        check_fold("2020\xe2\x80\x93" "2024", "2020-2024");         /* – */
        check_fold("\xe2\x88\x92" "5", "-5");                       /* − */
}

Test(text, different_names_stay_different)
{
        char *a = vl_text_fold("Russie", 0), *b = vl_text_fold("Russia", 0);

        cr_assert_str_neq(a, b);
        free(a);
        free(b);
}

Test(text, invalid_utf8_is_dropped_and_detectable)
{
        /* the sink refuses such watch terms; it asks vl_utf8_valid() */
        cr_expect_not(vl_utf8_valid("abc\xff", 4));
        cr_expect_not(vl_utf8_valid("\xc3", 1));
        check_fold("abc\xff", "abc");
        check_fold("\xc3", "");
}

Test(text, fold_cp)
{
        int32_t out[VL_TEXT_FOLD_CP_MAX];

        cr_assert_eq(vl_text_fold_cp('A', out), 1);
        cr_expect_eq(out[0], 'a');
        cr_assert_eq(vl_text_fold_cp(0x00c9, out), 1); /* É */
        cr_expect_eq(out[0], 'e');
        cr_assert_eq(vl_text_fold_cp(0x0153, out), 2); /* œ */
        cr_expect(out[0] == 'o' && out[1] == 'e');
        cr_assert_eq(vl_text_fold_cp(0x00df, out), 2); /* ß */
        cr_expect(out[0] == 's' && out[1] == 's');
        cr_expect_eq(vl_text_fold_cp(0x0301, out), 0); /* a bare accent */
        cr_expect_eq(vl_text_fold_cp(0xfdfa, out), VL_TEXT_FOLD_CP_MAX);
        cr_assert_eq(vl_text_fold_cp(0x0378, out), 1); /* unassigned */
        cr_expect_eq(out[0], 0x0378);
}

Test(text, fold_cp_is_utf8proc_for_every_code_point)
{
        /* vl_text_fold_cp skips UTF8PROC_LUMP where it cannot change
         * anything: check that it never does */
        const utf8proc_option_t opts = (utf8proc_option_t)(
                UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                UTF8PROC_STRIPMARK | UTF8PROC_IGNORE | UTF8PROC_LUMP);
        static const int32_t spelled[] = { 0x00c6, 0x00d8, 0x00e6, 0x00f8,
                                           0x0110, 0x0111, 0x0141, 0x0142,
                                           0x0152, 0x0153 };
        int32_t got[VL_TEXT_FOLD_CP_MAX], want[VL_TEXT_FOLD_CP_MAX];
        size_t bad = 0;

        for (int32_t cp = 0x80; cp < 0x110000; cp++) {
                int last = 0;
                utf8proc_ssize_t n;
                size_t k;
                bool skip = cp >= 0xd800 && cp <= 0xdfff;

                for (size_t i = 0; i < sizeof(spelled) / sizeof(*spelled); i++)
                        skip = skip || cp == spelled[i];
                if (skip)
                        continue;
                n = utf8proc_decompose_char(cp, want, VL_TEXT_FOLD_CP_MAX,
                                            opts, &last);
                if (n < 0) {
                        want[0] = cp;
                        n = 1;
                }
                k = vl_text_fold_cp(cp, got);
                if (k != (size_t)n || memcmp(got, want, k * sizeof(*got))) {
                        if (bad++ < 5)
                                cr_log_error("U+%04X folds differently",
                                             (unsigned)cp);
                }
        }
        cr_expect_eq(bad, 0);
}

/* ---------------------------------------------------- character references */

static void check_ref(const char *in, size_t len, const char *want)
{
        char out[VL_TEXT_CHARREF_MAX] = "";

        cr_expect_eq(vl_text_charref(in, out), len, "'%s'", in);
        if (len)
                cr_expect_str_eq(out, want, "'%s'", in);
}

Test(text, charref)
{
        check_ref("&amp;", 5, "&");
        check_ref("&apos;x", 6, "'");
        check_ref("&eacute;t\xc3\xa9", 8, "\xc3\xa9");
        check_ref("&#65;", 5, "A");
        check_ref("&#x42;", 6, "B");
        check_ref("&#X2019;", 8, "\xe2\x80\x99");
        check_ref("&#65 ", 4, "A");                     /* ';' missing */
        check_ref("&#150;", 6, "\xe2\x80\x93");          /* windows-1252 */
        check_ref("&#x81;", 6, "\xc2\x81");             /* undefined there */
        check_ref("&#0;", 4, "\xef\xbf\xbd");
        check_ref("&#xD800;", 8, "\xef\xbf\xbd");
        check_ref("&#1114112;", 10, "\xef\xbf\xbd");
        check_ref("&#99999999999999999999;", 23, "\xef\xbf\xbd");
        check_ref("&bogus;", 0, "");
        check_ref("&amp", 0, "");                       /* named needs ';' */
        check_ref("&#xZZ;", 0, "");
        check_ref("& ;", 0, "");
        check_ref("x", 0, "");
}

/* ------------------------------------------------------------------- JSON */

Test(text, json_strings_are_valid)
{
        json_t *j = vl_json_str("bad \xff byte");

        cr_assert(json_is_string(j));
        cr_assert_str_eq(json_string_value(j), "bad \xef\xbf\xbd byte");
        json_decref(j);
        j = vl_json_str(NULL);
        cr_assert(json_is_null(j));
        json_decref(j);
        j = vl_json_str("ok");
        cr_assert_str_eq(json_string_value(j), "ok");
        json_decref(j);
}
