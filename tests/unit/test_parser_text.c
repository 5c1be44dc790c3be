/* parser/text.c: words, references, string lists (UTF-8, white space and
 * folding are lib's: tests/unit/test_text.c). */
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "parser/parser.h"

Test(parser_text, counts_words)
{
        cr_assert_eq(parser_text_word_count(""), 0);
        cr_assert_eq(parser_text_word_count("  un  deux\ttrois\n"), 3);
        cr_assert_eq(parser_text_word_count("l\xe2\x80\x99" "arm\xc3\xa9" "e "
                                            "\xc2\xab vraie \xc2\xbb -- 2024"),
                     3);
        cr_assert_eq(parser_text_word_count("a\xc2\xa0" "b"), 2);
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
