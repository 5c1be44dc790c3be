/* parser/text.c: white space, folding, words, UTF-8, references. */
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "parser/parser.h"

static void expect_collapse(const char *in, const char *want)
{
        char *got = parser_text_collapse(in);

        cr_expect_str_eq(got, want, "collapse(\"%s\")", in);
        free(got);
}

Test(parser_text, collapses_white_space)
{
        expect_collapse("  a \t\n b  ", "a b");
        expect_collapse("a\xc2\xa0:\xe2\x80\xaf!", "a : !");  /* nbsp, nnbsp */
        expect_collapse("zero\xe2\x80\x8bwidth soft\xc2\xadhyphen",
                        "zerowidth softhyphen");
        expect_collapse("\xe2\x80\x83\xe3\x80\x80", "");
        expect_collapse("", "");
}

Test(parser_text, builder_keeps_words_apart)
{
        struct parser_tb tb;
        char *s;

        parser_tb_init(&tb);
        parser_tb_add(&tb, "Bonjour ", 8);
        parser_tb_add(&tb, "le", 2);
        parser_tb_add(&tb, "monde", 5);
        parser_tb_space(&tb);
        parser_tb_add(&tb, " !", 2);
        s = parser_tb_take(&tb);
        cr_assert_str_eq(s, "Bonjour lemonde !");
        free(s);
        parser_tb_release(&tb);
}

Test(parser_text, folds)
{
        char *a = parser_text_fold("  \xc3\x89l\xc3\xa9phant  \xc3\x87" "a VA ",
                                   false);
        char *b = parser_text_fold("Sahel-Actu.com", true);
        char *c = parser_text_fold("\xc5\x93uvre", true);

        cr_assert_str_eq(a, "elephant ca va");
        cr_assert_str_eq(b, "sahelactucom");
        cr_assert_str_eq(c, "\xc5\x93uvre");
        free(a);
        free(b);
        free(c);
}

Test(parser_text, counts_words)
{
        cr_assert_eq(parser_text_word_count(""), 0);
        cr_assert_eq(parser_text_word_count("  un  deux\ttrois\n"), 3);
        cr_assert_eq(parser_text_word_count("l\xe2\x80\x99" "arm\xc3\xa9" "e "
                                            "\xc2\xab vraie \xc2\xbb -- 2024"),
                     3);
        cr_assert_eq(parser_text_word_count("a\xc2\xa0" "b"), 2);
}

Test(parser_text, utf8)
{
        size_t n;
        char *r;

        cr_assert(parser_text_utf8_valid("\xc3\xa9\xf0\x9f\x98\x80", 6));
        cr_assert_not(parser_text_utf8_valid("\xc0\xaf", 2));     /* overlong */
        /* a surrogate */
        cr_assert_not(parser_text_utf8_valid("\xed\xa0\x80", 3));
        cr_assert_not(parser_text_utf8_valid("\xf4\x90\x80\x80", 4));
        cr_assert_not(parser_text_utf8_valid("\xe2\x82", 2));
        r = parser_text_utf8_repair("a\xffz\0y\x01", 6, &n);
        cr_assert_str_eq(r, "a\xef\xbf\xbdzy ");
        cr_assert_eq(n, strlen(r));
        free(r);
}

Test(parser_text, unescapes)
{
        char *s = parser_text_unescape("Caf&eacute; &amp; th&#233; &#x2019;"
                                       " &bogus; & &#0; a&b;");

        cr_assert_str_eq(s, "Caf\xc3\xa9 & th\xc3\xa9 \xe2\x80\x99 &bogus; & "
                            "\xef\xbf\xbd a&b;");
        free(s);
}

Test(parser_text, string_lists)
{
        struct parser_strv sv = { 0 };

        cr_assert(parser_strv_add_unique(&sv, "Jean Dupont"));
        cr_assert_not(parser_strv_add_unique(&sv, "JEAN  DUPONT"));
        cr_assert_not(parser_strv_add_unique(&sv, "Jéan Dupont"));
        cr_assert(parser_strv_add_unique(&sv, "Jeanne Dupont"));
        cr_assert_eq(sv.n, 2);
        cr_assert_eq(parser_strv_find(&sv, "jeanne-dupont"), 1);
        parser_strv_release(&sv);
}

Test(parser_text, json_strings_are_valid)
{
        json_t *j = parser_json_str("bad \xff byte");

        cr_assert(json_is_string(j));
        cr_assert_str_eq(json_string_value(j), "bad \xef\xbf\xbd byte");
        json_decref(j);
        j = parser_json_str(NULL);
        cr_assert(json_is_null(j));
        json_decref(j);
}
