package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sportello/sportello/core"
)

// loadOpenAPI reads openapi.json from disk into generic JSON values.
func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// operationMethods are the keys of an OpenAPI path item that are operations.
var operationMethods = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true,
	"options": true, "head": true, "patch": true, "trace": true,
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Errorf("openapi version %q", v)
	}
	paths, ok := doc["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		t.Fatal("the document has no paths")
	}
	documented := map[string]bool{}
	operationIDs := map[string]string{}
	for path, item := range paths {
		ops, ok := item.(map[string]any)
		if !ok {
			t.Fatalf("path %s is not an object", path)
		}
		for key, op := range ops {
			if !operationMethods[key] {
				continue
			}
			name := strings.ToUpper(key) + " " + path
			documented[name] = true
			o, _ := op.(map[string]any)
			id, _ := o["operationId"].(string)
			if id == "" {
				t.Errorf("%s has no operationId", name)
			} else if other, dup := operationIDs[id]; dup {
				t.Errorf("operationId %s is used by %s and %s", id, other, name)
			}
			operationIDs[id] = name
			if resp, _ := o["responses"].(map[string]any); len(resp) == 0 {
				t.Errorf("%s documents no responses", name)
			}
		}
	}

	served := map[string]bool{}
	for _, rt := range (&Server{}).routeTable() {
		name := rt.method + " " + rt.path
		if served[name] {
			t.Errorf("route %s is in the table twice", name)
		}
		served[name] = true
		if rt.handler == nil {
			t.Errorf("route %s has no handler", name)
		}
	}

	var undocumented, unserved []string
	for _, name := range sortedKeys(served) {
		if !documented[name] {
			undocumented = append(undocumented, name)
		}
	}
	for _, name := range sortedKeys(documented) {
		if !served[name] {
			unserved = append(unserved, name)
		}
	}
	if len(undocumented) > 0 {
		t.Errorf("served but missing from openapi.json: %v", undocumented)
	}
	if len(unserved) > 0 {
		t.Errorf("in openapi.json but missing from routeTable: %v", unserved)
	}
}

// resolvePointer follows a local reference, "#/components/schemas/Problem".
func resolvePointer(doc map[string]any, ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("%q is not a local reference", ref)
	}
	var cur any = doc
	for _, part := range strings.Split(rest, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q: %q is inside a non-object", ref, part)
		}
		if cur, ok = obj[part]; !ok {
			return nil, fmt.Errorf("%q: no %q", ref, part)
		}
	}
	return cur, nil
}

// refs lists every "$ref" in v with where it sits.
func refs(v any, at string, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if k == "$ref" {
				s, _ := e.(string)
				out[at] = s
				continue
			}
			refs(e, at+"/"+k, out)
		}
	case []any:
		for i, e := range v {
			refs(e, at+"/"+strconv.Itoa(i), out)
		}
	}
}

func TestOpenAPIRefsResolve(t *testing.T) {
	doc := loadOpenAPI(t)
	found := map[string]string{}
	refs(doc, "", found)
	if len(found) == 0 {
		t.Fatal("no $ref in the document: the walk is broken")
	}
	used := map[string]bool{}
	for at, ref := range found {
		target, err := resolvePointer(doc, ref)
		if err != nil {
			t.Errorf("%s: %v", at, err)
			continue
		}
		if !strings.HasPrefix(ref, "#/components/") {
			t.Errorf("%s: %q does not point into components", at, ref)
		}
		if _, ok := target.(map[string]any); !ok {
			t.Errorf("%s: %q resolves to a non-object", at, ref)
		}
		used[ref] = true
	}
	// Security schemes are used by name in security requirements, not by
	// $ref; each requirement must name a scheme that exists.
	schemes, _ := resolvePointer(doc, "#/components/securitySchemes")
	for at, name := range securityRequirements(doc) {
		if _, ok := schemes.(map[string]any)[name]; !ok {
			t.Errorf("%s: security scheme %q is not in components", at, name)
		}
		used["#/components/securitySchemes/"+name] = true
	}
	// And every component is used somewhere.
	comps, _ := doc["components"].(map[string]any)
	for kind, group := range comps {
		for name := range group.(map[string]any) {
			if ref := "#/components/" + kind + "/" + name; !used[ref] {
				t.Errorf("component %s is never referenced", ref)
			}
		}
	}
}

// securityRequirements lists the scheme names of the document's security
// requirements (top level and operations) with where they sit.
func securityRequirements(doc map[string]any) map[string]string {
	out := map[string]string{}
	add := func(at string, v any) {
		reqs, _ := v.([]any)
		for i, r := range reqs {
			m, _ := r.(map[string]any)
			for name := range m {
				out[fmt.Sprintf("%s/security/%d/%s", at, i, name)] = name
			}
		}
	}
	add("", doc["security"])
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		ops, _ := item.(map[string]any)
		for method, op := range ops {
			if o, ok := op.(map[string]any); ok && operationMethods[method] {
				add("/paths"+path+"/"+method, o["security"])
			}
		}
	}
	return out
}

// coreProblemTypes reads the Problem* string constants of package core from
// its source, so a type added there and forgotten in the document is caught.
func coreProblemTypes(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "core", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("core sources: %v (%d files)", err, len(files))
	}
	fset := token.NewFileSet()
	out := map[string]string{}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, "Problem") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					out[name.Name] = v
				}
			}
		}
	}
	return out
}

func TestOpenAPIProblemTypes(t *testing.T) {
	doc := loadOpenAPI(t)
	schema, err := resolvePointer(doc, "#/components/schemas/Problem/properties/type/enum")
	if err != nil {
		t.Fatal(err)
	}
	enum := map[string]bool{}
	for _, v := range schema.([]any) {
		s, _ := v.(string)
		if enum[s] {
			t.Errorf("%q is twice in the enum", s)
		}
		enum[s] = true
	}

	constants := coreProblemTypes(t)
	// The source scan must see at least the constants this package uses.
	for name, v := range map[string]string{
		"ProblemBadRequest":       core.ProblemBadRequest,
		"ProblemNotFound":         core.ProblemNotFound,
		"ProblemMethodNotAllowed": core.ProblemMethodNotAllowed,
		"ProblemTooLarge":         core.ProblemTooLarge,
		"ProblemNotSetUp":         core.ProblemNotSetUp,
		"ProblemUnavailable":      core.ProblemUnavailable,
		"ProblemInternal":         core.ProblemInternal,
	} {
		if constants[name] != v {
			t.Errorf("scan of core found %s = %q, want %q", name, constants[name], v)
		}
	}

	inCore := map[string]bool{}
	for name, v := range constants {
		inCore[v] = true
		if !enum[v] {
			t.Errorf("core.%s (%q) is missing from the Problem.type enum", name, v)
		}
	}
	for _, v := range sortedKeys(enum) {
		if !inCore[v] {
			t.Errorf("the Problem.type enum has %q, which is no core constant", v)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	ts, _ := seededServer(t)
	onDisk, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	a := get(t, ts.URL+"/api/v1/openapi.json")
	if a.status != http.StatusOK {
		t.Fatalf("status %d", a.status)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if !bytes.Equal(a.body, onDisk) {
		t.Errorf("the served document (%d bytes) differs from openapi.json (%d bytes)", len(a.body), len(onDisk))
	}
	if nm := get(t, ts.URL+"/api/v1/openapi.json", "If-None-Match: "+a.header.Get("ETag")); nm.status != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", nm.status)
	}
}

// validate checks value against an OpenAPI (JSON Schema) schema: the subset
// the document uses. Objects are closed: a property the schema does not list
// is an error, so the document cannot silently lag behind the Go types.
func validate(doc map[string]any, schema map[string]any, value any, at string) []string {
	if ref, ok := schema["$ref"].(string); ok {
		target, err := resolvePointer(doc, ref)
		if err != nil {
			return []string{at + ": " + err.Error()}
		}
		return validate(doc, target.(map[string]any), value, at)
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	if c, ok := schema["const"]; ok && !jsonEqual(c, value) {
		fail("%v, want the constant %v", value, c)
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return jsonEqual(e, value) }) {
		fail("%v is not one of %v", value, enum)
	}
	switch typ, _ := schema["type"].(string); typ {
	case "object":
		obj, ok := value.(map[string]any)
		if !ok {
			fail("%T, want an object", value)
			return errs
		}
		props, _ := schema["properties"].(map[string]any)
		req, _ := schema["required"].([]any)
		for _, r := range req {
			if _, ok := obj[r.(string)]; !ok {
				fail("required property %q is missing", r)
			}
		}
		for k, v := range obj {
			ps, ok := props[k].(map[string]any)
			if !ok {
				fail("property %q is not in the schema", k)
				continue
			}
			errs = append(errs, validate(doc, ps, v, at+"."+k)...)
		}
	case "array":
		arr, ok := value.([]any)
		if !ok {
			fail("%T, want an array", value)
			return errs
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, v := range arr {
				errs = append(errs, validate(doc, items, v, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	case "string":
		s, ok := value.(string)
		if !ok {
			fail("%T, want a string", value)
			return errs
		}
		if p, ok := schema["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(s) {
			fail("%q does not match %s", s, p)
		}
	case "integer", "number":
		n, ok := value.(float64)
		if !ok || (typ == "integer" && n != math.Trunc(n)) {
			fail("%v, want an %s", value, typ)
			return errs
		}
		if m, ok := schema["minimum"].(float64); ok && n < m {
			fail("%v is below the minimum %v", n, m)
		}
		if m, ok := schema["maximum"].(float64); ok && n > m {
			fail("%v is above the maximum %v", n, m)
		}
	case "boolean":
		if _, ok := value.(bool); !ok {
			fail("%T, want a boolean", value)
		}
	case "":
	default:
		fail("the validator does not know type %q", typ)
	}
	return errs
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// responseSchema finds in the document the schema of the answer to GET path
// with the given status and media type.
func responseSchema(t *testing.T, doc map[string]any, path string, status int, mediaType string) map[string]any {
	t.Helper()
	p := "#/paths/" + strings.ReplaceAll(path, "/", "~1") + "/get/responses/" + strconv.Itoa(status)
	resp, err := resolvePointer(doc, p)
	if err != nil {
		t.Fatalf("GET %s → %d is not documented: %v", path, status, err)
	}
	r := resp.(map[string]any)
	if ref, ok := r["$ref"].(string); ok {
		target, err := resolvePointer(doc, ref)
		if err != nil {
			t.Fatal(err)
		}
		r = target.(map[string]any)
	}
	content, _ := r["content"].(map[string]any)
	media, ok := content[mediaType].(map[string]any)
	if !ok {
		t.Fatalf("GET %s → %d does not document %s", path, status, mediaType)
	}
	schema, ok := media["schema"].(map[string]any)
	if !ok {
		t.Fatalf("GET %s → %d %s has no schema", path, status, mediaType)
	}
	return schema
}

// TestResponsesMatchSchemas checks real answers of the server against the
// schemas the document gives for their path, status and media type.
func TestResponsesMatchSchemas(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	seeded, _ := seededServer(t)
	empty := serveStore(t, openStore(t, false))

	for _, tc := range []struct {
		base, path, lang string
		status           int
	}{
		{seeded.URL, "/healthz", "", http.StatusOK},
		{seeded.URL, "/api/v1/municipality", "it", http.StatusOK},
		{seeded.URL, "/api/v1/municipality", "en", http.StatusOK},
		{empty.URL, "/api/v1/municipality", "", http.StatusServiceUnavailable},
		{empty.URL, "/api/v1/municipality/logo", "", http.StatusServiceUnavailable},
	} {
		var headers []string
		if tc.lang != "" {
			headers = append(headers, "Accept-Language: "+tc.lang)
		}
		a := get(t, tc.base+tc.path, headers...)
		if a.status != tc.status {
			t.Errorf("GET %s: status %d, want %d", tc.path, a.status, tc.status)
			continue
		}
		mediaType, _, _ := strings.Cut(a.header.Get("Content-Type"), ";")
		schema := responseSchema(t, doc, tc.path, a.status, mediaType)
		var v any
		if err := json.Unmarshal(a.body, &v); err != nil {
			t.Fatalf("GET %s: %v", tc.path, err)
		}
		for _, e := range validate(doc, schema, v, "GET "+tc.path) {
			t.Error(e)
		}
	}

	// Problems of paths the document cannot list still follow its Problem schema.
	problemSchema := map[string]any{"$ref": "#/components/schemas/Problem"}
	for _, a := range []answer{
		get(t, seeded.URL+"/nowhere"),
		do(t, nil, http.MethodPost, seeded.URL+"/api/v1/municipality"),
	} {
		var v any
		if err := json.Unmarshal(a.body, &v); err != nil {
			t.Fatal(err)
		}
		for _, e := range validate(doc, problemSchema, v, "problem") {
			t.Error(e)
		}
	}
}

// TestValidatorRejects makes sure the validator used above can fail.
func TestValidatorRejects(t *testing.T) {
	doc := loadOpenAPI(t)
	m := map[string]any{"$ref": "#/components/schemas/Municipality"}
	for name, v := range map[string]any{
		"not an object":    "x",
		"missing required": map[string]any{"name": "x"},
		"unknown property": map[string]any{"nickname": "x"},
	} {
		if errs := validate(doc, m, v, name); len(errs) == 0 {
			t.Errorf("%s: accepted", name)
		}
	}
	p := map[string]any{"$ref": "#/components/schemas/Problem"}
	bad := map[string]any{"type": "urn:sportello:problem:made-up", "title": "x", "status": 500.0}
	if errs := validate(doc, p, bad, "problem"); len(errs) == 0 {
		t.Error("a problem type outside the enum was accepted")
	}
	h := map[string]any{"$ref": "#/components/schemas/OpeningHours"}
	if errs := validate(doc, h, map[string]any{"weekday": 8.0, "opens": "9:00", "closes": "12:00"}, "hours"); len(errs) != 2 {
		t.Errorf("bad hours: %v, want two errors (weekday, opens)", errs)
	}
}
