/* parser/charset.c: labels, sniffing and conversion to UTF-8. */
#include <string.h>
#include <criterion/criterion.h>
#include "parser/parser.h"

static char *decode(const char *bytes, size_t n, const char *label,
                    struct parser_text_doc *td)
{
        struct vl_err err;

        cr_assert_eq(parser_charset_decode((const unsigned char *)bytes, n,
                                           label, td, &err), VL_OK);
        cr_assert(vl_utf8_valid(td->html, td->len),
                  "output is not valid UTF-8");
        cr_assert_eq(strlen(td->html), td->len, "output holds a NUL");
        return td->html;
}

Test(parser_charset, normalizes_labels)
{
        char buf[32];

        cr_assert_str_eq(parser_charset_normalize("ISO-8859-1", buf),
                         "windows-1252");
        cr_assert_str_eq(parser_charset_normalize("latin1", buf),
                         "windows-1252");
        cr_assert_str_eq(parser_charset_normalize("US-ASCII", buf),
                         "windows-1252");
        cr_assert_str_eq(parser_charset_normalize(" \"UTF8\"", buf), "utf-8");
        cr_assert_str_eq(parser_charset_normalize("Shift_JIS", buf), "cp932");
        cr_assert_str_eq(parser_charset_normalize("ISO-8859-15", buf),
                         "iso-8859-15");
        cr_assert_null(parser_charset_normalize("", buf));
        cr_assert_null(parser_charset_normalize("utf-8<script>", buf));
}

Test(parser_charset, reads_content_type)
{
        char buf[32];

        cr_assert_str_eq(parser_charset_from_content_type(
                                 "text/html; Charset=\"ISO-8859-1\"", buf),
                         "ISO-8859-1");
        cr_assert_str_eq(parser_charset_from_content_type(
                                 "text/html;charset=utf-8;q=1", buf),
                         "utf-8");
        cr_assert_null(parser_charset_from_content_type("text/html", buf));
        cr_assert_null(parser_charset_from_content_type(NULL, buf));
}

Test(parser_charset, sniffs_meta)
{
        char buf[32];
        const char *a = "<html><head><META CHARSET=windows-1251>";
        const char *b = "<meta http-equiv=\"Content-Type\" "
                        "content=\"text/html; charset=ISO-8859-15\">";
        const char *c = "<!-- <meta charset=\"koi8-r\"> -->"
                        "<meta charset=utf-8>";
        const char *d = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><html>";
        const char *e = "<meta name=\"description\" content=\"charset=x\">";

        cr_assert_str_eq(parser_charset_sniff_meta(
                                 (const unsigned char *)a, strlen(a), buf),
                         "windows-1251");
        cr_assert_str_eq(parser_charset_sniff_meta(
                                 (const unsigned char *)b, strlen(b), buf),
                         "ISO-8859-15");
        cr_assert_str_eq(parser_charset_sniff_meta(
                                 (const unsigned char *)c, strlen(c), buf),
                         "utf-8");
        cr_assert_str_eq(parser_charset_sniff_meta(
                                 (const unsigned char *)d, strlen(d), buf),
                         "ISO-8859-1");
        cr_assert_null(parser_charset_sniff_meta(
                (const unsigned char *)e, strlen(e), buf));
}

Test(parser_charset, cp1252_labelled_latin1)
{
        struct parser_text_doc td;
        const char in[] = "\x93" "Caf\xe9\x94 \x80 l\x92" "arm\xe9" "e";

        cr_assert_str_eq(decode(in, sizeof(in) - 1, "iso-8859-1", &td),
                         "\xe2\x80\x9c" "Caf\xc3\xa9\xe2\x80\x9d \xe2\x82\xac "
                         "l\xe2\x80\x99" "arm\xc3\xa9" "e");
        cr_assert_str_eq(td.charset, "windows-1252");
        cr_assert_eq(td.source, PARSER_CS_HTTP);
        parser_text_doc_release(&td);
}

Test(parser_charset, utf8_labelled_latin1)
{
        struct parser_text_doc td;
        const char in[] = "<p>l\xe2\x80\x99" "arm\xc3\xa9" "e</p>";

        cr_assert_str_eq(decode(in, sizeof(in) - 1, "latin-1", &td), in);
        cr_assert_str_eq(td.charset, "utf-8");
        cr_assert_eq(td.source, PARSER_CS_DETECT);
        parser_text_doc_release(&td);
}

Test(parser_charset, latin1_labelled_utf8)
{
        struct parser_text_doc td;
        const char in[] = "<p>caf\xe9 cr\xe8me</p>";

        cr_assert_str_eq(decode(in, sizeof(in) - 1, "utf-8", &td),
                         "<p>caf\xc3\xa9 cr\xc3\xa8me</p>");
        cr_assert_str_eq(td.charset, "windows-1252");
        parser_text_doc_release(&td);
}

Test(parser_charset, replaces_invalid_bytes)
{
        struct parser_text_doc td;
        const char in[] = "\xc3\xa9t\xc3\xa9 \xff fin \xe2\x82";

        cr_assert_str_eq(decode(in, sizeof(in) - 1, "utf-8", &td),
                         "\xc3\xa9t\xc3\xa9 \xef\xbf\xbd fin "
                         "\xef\xbf\xbd\xef\xbf\xbd");
        cr_assert_str_eq(td.charset, "utf-8");
        cr_assert_eq(td.replaced, 3);
        parser_text_doc_release(&td);
}

Test(parser_charset, drops_nul_and_controls)
{
        struct parser_text_doc td;
        const char in[] = "a\0b\x01" "c";

        cr_assert_str_eq(decode(in, sizeof(in) - 1, NULL, &td), "ab c");
        parser_text_doc_release(&td);
}

Test(parser_charset, bom)
{
        struct parser_text_doc td;
        const char u8[] = "\xef\xbb\xbf<p>\xc3\xa9</p>";
        const char u16[] = "\xff\xfe<\0p\0>\0\xe9\0";

        /* the BOM wins over a wrong label */
        cr_assert_str_eq(decode(u8, sizeof(u8) - 1, "iso-8859-1", &td),
                         "<p>\xc3\xa9</p>");
        cr_assert_eq(td.source, PARSER_CS_BOM);
        parser_text_doc_release(&td);
        cr_assert_str_eq(decode(u16, sizeof(u16) - 1, NULL, &td),
                         "<p>\xc3\xa9");
        cr_assert_str_eq(td.charset, "utf-16le");
        parser_text_doc_release(&td);
}

Test(parser_charset, meta_charset)
{
        struct parser_text_doc td;
        const char in[] = "<meta charset=\"windows-1252\"><p>\x80 caf\xe9";
        const char u16[] = "<meta charset=\"utf-16\"><p>\xc3\xa9";

        cr_assert_str_eq(decode(in, sizeof(in) - 1, NULL, &td),
                         "<meta charset=\"windows-1252\"><p>\xe2\x82\xac "
                         "caf\xc3\xa9");
        cr_assert_eq(td.source, PARSER_CS_META);
        parser_text_doc_release(&td);
        /* a page that declares UTF-16 in ASCII is not UTF-16 */
        cr_assert_str_eq(decode(u16, sizeof(u16) - 1, NULL, &td), u16);
        cr_assert_str_eq(td.charset, "utf-8");
        parser_text_doc_release(&td);
}

Test(parser_charset, unlabelled)
{
        struct parser_text_doc td;
        const char u8[] = "<p>\xc3\xa9t\xc3\xa9</p>";
        const char l1[] = "<p>\xe9t\xe9</p>";

        cr_assert_str_eq(decode(u8, sizeof(u8) - 1, NULL, &td), u8);
        cr_assert_eq(td.source, PARSER_CS_DETECT);
        parser_text_doc_release(&td);
        cr_assert_str_eq(decode(l1, sizeof(l1) - 1, NULL, &td), u8);
        cr_assert_eq(td.source, PARSER_CS_DEFAULT);
        cr_assert_str_eq(td.charset, "windows-1252");
        parser_text_doc_release(&td);
}

Test(parser_charset, iconv_charsets)
{
        struct parser_text_doc td;
        const char l9[] = "\xa4 5";
        const char cyr[] = "\xcf\xf0\xe8\xe2\xe5\xf2";

        cr_assert_str_eq(decode(l9, sizeof(l9) - 1, "ISO-8859-15", &td),
                         "\xe2\x82\xac 5");
        parser_text_doc_release(&td);
        cr_assert_str_eq(decode(cyr, sizeof(cyr) - 1, "windows-1251", &td),
                         "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
        parser_text_doc_release(&td);
        /* unknown to iconv: treated as unlabelled */
        cr_assert_str_eq(decode("caf\xe9", 4, "x-no-such-charset", &td),
                         "caf\xc3\xa9");
        parser_text_doc_release(&td);
}
