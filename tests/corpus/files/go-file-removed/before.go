package legacy

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Slugify turns a title into a lowercase, dash-separated, ASCII-only slug.
func Slugify(title string) string {
	decomposed := norm.NFKD.String(title)
	var b strings.Builder
	for _, r := range decomposed {
		if r < unicode.MaxASCII {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	nonWord := regexp.MustCompile(`[^a-z0-9]+`)
	slug := nonWord.ReplaceAllString(b.String(), "-")
	return strings.Trim(slug, "-")
}

// TruncateSlug cuts a slug to at most limit bytes without leaving a trailing dash.
func TruncateSlug(slug string, limit int) string {
	if len(slug) <= limit {
		return slug
	}
	return strings.TrimRight(slug[:limit], "-")
}
