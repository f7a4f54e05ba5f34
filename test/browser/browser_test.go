// Package browser drives the pages of a real "gatehouse serve --demo" with
// a headless Chromium: the first administrator's sign-in, an owner's SAML
// and SCIM settings, SAML sign-in through the demo IdP (linking, refusal,
// a wrong extern_uid and its fix), with the keyboard and without
// JavaScript. With GATEHOUSE_SCREENSHOTS=1 it also writes the README's
// screenshots to docs/screenshots.
//
// The tests skip when Chromium is missing, unless GATEHOUSE_TEST_BROWSER=1
// makes them mandatory (CI sets it).
package browser

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gatehouse-sso/gatehouse/internal/proctest"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
)

// stepTimeout bounds one browser step: a navigation, a click and the page
// it loads, a query.
const stepTimeout = 20 * time.Second

// The accounts the suite creates with the command line before the browser
// starts.
const (
	ownerName  = "olivia"
	ownerPass  = "correct horse battery staple"
	gracePass  = "grace-hopper-cobol-1959"
	ownerGroup = "acme.corp"
)

func TestBrowser(t *testing.T) {
	chromium := findChromium(t)
	s := startSuite(t, chromium)

	t.Run("FirstAdministratorSignIn", s.firstAdministratorSignIn)
	t.Run("OwnerConfiguresSAMLAndSCIM", s.ownerConfiguresSAMLAndSCIM)
	t.Run("ProvisionedUserSignsInWithoutJavaScript", s.provisionedUserSignsIn)
	t.Run("ExistingAccountLinks", s.existingAccountLinks)
	t.Run("DeprovisionedUserIsRefused", s.deprovisionedUserIsRefused)
	t.Run("OwnerFixesWrongExternUID", s.ownerFixesWrongExternUID)
}

// findChromium returns Chromium's path, or skips the test without one
// (fails under GATEHOUSE_TEST_BROWSER=1).
func findChromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("GATEHOUSE_TEST_BROWSER") == "1" {
		t.Fatal("GATEHOUSE_TEST_BROWSER=1 but Chromium is not installed: apt-get install -y chromium")
	}
	t.Skip("Chromium is not installed (apt-get install -y chromium); GATEHOUSE_TEST_BROWSER=1 makes this test mandatory")
	return ""
}

// suite is one server and one browser, shared by the scenarios, which run
// in order: each opens its own browser context (an incognito window).
type suite struct {
	bin, db, base string
	// oneTimePassword is root's, printed by serve at its first start.
	oneTimePassword string
	browser         context.Context
	// shots is where screenshots go; empty unless GATEHOUSE_SCREENSHOTS=1.
	shots string
	// mdFile is IdP metadata for the owner's upload; idpCert its signing
	// certificate's SHA-256.
	mdFile, idpCertSHA256 string
}

func startSuite(t *testing.T, chromium string) *suite {
	t.Helper()
	dir := t.TempDir()
	s := &suite{bin: proctest.Build(t), db: "sqlite:" + filepath.Join(dir, "gatehouse.db")}
	if os.Getenv("GATEHOUSE_SCREENSHOTS") == "1" {
		s.shots = filepath.Join("..", "..", "docs", "screenshots")
		if err := os.MkdirAll(s.shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	// Grace has a personal account before the demo IdP provisions her:
	// she gets a pending link, which she confirms in ExistingAccountLinks.
	s.gatehouse(t, gracePass+"\n", "user", "create", "--username", "grace", "--email", "grace@demo.example", "--name", "Grace Hopper", "--password-stdin")
	s.gatehouse(t, ownerPass+"\n", "user", "create", "--username", ownerName, "--email", "olivia@acme.example", "--name", "Olivia Owner", "--password-stdin")
	s.gatehouse(t, "", "group", "create", "--path", ownerGroup, "--name", "Acme Corp", "--owner", ownerName)

	s.startServe(t)
	// The demo group exists once serve has started; Olivia owns it too.
	s.gatehouse(t, "", "member", "set", "--group", "demo", "--user", ownerName, "--role", "owner")

	idp := samltest.NewIdP("login.acme-corp")
	s.mdFile = filepath.Join(dir, "idp-metadata.xml")
	if err := os.WriteFile(s.mdFile, idp.Metadata(time.Time{}), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(idp.Keys.Cert.Raw)
	s.idpCertSHA256 = hex.EncodeToString(sum[:])

	s.browser = startChromium(t, chromium, dir)
	return s
}

// gatehouse runs a command of the binary on the suite's database and
// returns its standard output.
func (s *suite) gatehouse(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(s.bin, append(args, "--db", s.db)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("gatehouse %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

var oneTimePassword = regexp.MustCompile(`one-time password:\s+(\S+)`)

// startServe runs "gatehouse serve --demo" on a free loopback port (the
// base URL names the real port) and waits for /-/health. It stops the
// server with SIGTERM, as an operator does, when the test ends.
func (s *suite) startServe(t *testing.T) {
	t.Helper()
	opts := proctest.Options{Args: []string{"--demo", "--db", s.db}}
	if s.shots != "" && canListen("127.0.0.1:8080") {
		opts.Addr = "127.0.0.1:8080" // the screenshots show the README's address
	}
	srv, err := proctest.Launch(s.bin, opts)
	if err != nil && opts.Addr != "" {
		opts.Addr = "" // taken meanwhile: any free port
		srv, err = proctest.Launch(s.bin, opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Term(15 * time.Second); err != nil {
			t.Errorf("stopping serve: %v", err)
		}
		if t.Failed() {
			t.Logf("serve's log:\n%s", proctest.Tail(srv.Stderr.String(), 60))
		}
	})
	s.base = srv.URL
	m := oneTimePassword.FindStringSubmatch(srv.Stderr.String())
	if m == nil {
		t.Fatalf("serve printed no one-time password:\n%s", srv.Stderr.String())
	}
	s.oneTimePassword = m[1]
}

func canListen(addr string) bool {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// startChromium starts one headless Chromium for the suite, with a fresh
// profile, that reaches nothing but 127.0.0.1.
func startChromium(t *testing.T, chromium, dir string) context.Context {
	t.Helper()
	profile := filepath.Join(dir, "chromium-profile")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests may run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1000, 760),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("password-store", "basic"),
		// Any name resolves to nothing: the pages are on 127.0.0.1 only.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium (%s): %v", chromium, err)
	}
	return ctx
}

// tab is one scenario's browser window, in a browser context of its own:
// no cookies from another scenario.
type tab struct {
	t   *testing.T
	s   *suite
	ctx context.Context
}

// newTab opens a window in a new browser context; with noJS, scripts are
// off in it.
func (s *suite) newTab(t *testing.T, noJS bool) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(s.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	b := &tab{t: t, s: s, ctx: ctx}
	if err := chromedp.Do(ctx); err != nil { // opens the window, without a timeout
		t.Fatalf("open a browser window: %v", err)
	}
	b.do(chromedp.EmulateViewport(1000, 760))
	if noJS {
		b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}))
	}
	return b
}

// do runs steps that load no new page.
func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser at %s: %v", b.location(), err)
	}
}

// load runs steps that load a page (a click on a button or link, Enter in
// a form) and waits until it has loaded; it returns its HTTP status.
func (b *tab) load(steps ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.t.Fatalf("browser at %s: %v", b.location(), err)
	}
	return resp.Status
}

// open loads the server's page at path.
func (b *tab) open(path string) int64 {
	b.t.Helper()
	return b.load(chromedp.Navigate(b.s.base + path))
}

// press clicks the button (or link) whose text is label, and waits for the
// page it loads.
func (b *tab) press(label string) int64 {
	b.t.Helper()
	return b.load(chromedp.Click(byText(label)))
}

// byText selects the first button or link whose whole text is label.
func byText(label string) string {
	return fmt.Sprintf(`//*[self::button or self::a][normalize-space()=%q]`, label)
}

// fill replaces the value of the text field with the id by typing.
func (b *tab) fill(id, value string) {
	b.t.Helper()
	b.do(chromedp.Clear(chromedp.ID(id)), chromedp.SendKeys(chromedp.ID(id), value))
}

// text is what the page shows: the text of its body.
func (b *tab) text() string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	for {
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		if err == nil {
			return s
		}
		// The page loaded may still be replacing the body chromedp found:
		// read it again.
		if ctx.Err() != nil || !strings.Contains(err.Error(), "No node with given id") {
			b.t.Fatalf("browser at %s: read the page: %v", b.location(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// see fails the test unless the page shows every one of want.
func (b *tab) see(want ...string) string {
	b.t.Helper()
	got := b.text()
	for _, w := range want {
		if !strings.Contains(got, w) {
			b.t.Errorf("page %s does not show %q; it shows:\n%s", b.location(), w, got)
		}
	}
	return got
}

// location is the path (and query) of the page shown.
func (b *tab) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return strings.TrimPrefix(loc, b.s.base)
}

// at fails the test unless the page shown is at path (query aside).
func (b *tab) at(path string) {
	b.t.Helper()
	if got, _, _ := strings.Cut(b.location(), "?"); got != path {
		b.t.Fatalf("the browser is at %s, want %s", got, path)
	}
}

// apiUser reads GET /api/v4/user with the window's cookies: the signed-in
// user's username, or the status's message.
func (b *tab) apiUser() string {
	b.t.Helper()
	b.open("/api/v4/user")
	var u struct{ Username, Message string }
	if err := json.Unmarshal([]byte(b.text()), &u); err != nil {
		b.t.Fatalf("GET /api/v4/user: %v", err)
	}
	if u.Username == "" {
		return u.Message
	}
	return u.Username
}

// scrollTo scrolls the heading whose text is title to the top of the
// window, for a screenshot.
func (b *tab) scrollTo(title string) {
	b.t.Helper()
	js := fmt.Sprintf(`[...document.querySelectorAll("h1, h2")].find(h => h.textContent.trim() === %q).scrollIntoView({block: "start"})`, title)
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](js)(ctx, tg)
		return err
	}))
}

// shot saves the window as docs/screenshots/name.png when
// GATEHOUSE_SCREENSHOTS=1.
func (b *tab) shot(name string) {
	b.t.Helper()
	if b.s.shots == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.s.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// signIn signs in at /users/sign_in with a password.
func (b *tab) signIn(login, password string) {
	b.t.Helper()
	b.open("/users/sign_in")
	b.fill("login", login)
	b.fill("password", password)
	b.press("Sign in")
}

// firstAdministratorSignIn: root signs in with the one-time password serve
// printed, is sent to choose a new one, and lands on the account page.
func (s *suite) firstAdministratorSignIn(t *testing.T) {
	b := s.newTab(t, false)
	b.open("/users/sign_in")
	b.see("Sign in", "Username or email", "Password")
	b.fill("login", "root")
	b.fill("password", s.oneTimePassword)
	b.shot("sign-in")
	b.press("Sign in")

	b.at("/-/account/password")
	b.see("Choose a new password", "You signed in with a one-time password")
	if got := b.apiUser(); !strings.Contains(got, "403") {
		t.Errorf("GET /api/v4/user before the password change = %q, want a 403", got)
	}
	// Any other page sends the session back to the password page.
	b.open("/-/account")
	b.at("/-/account/password")
	b.fill("current_password", s.oneTimePassword)
	b.fill("new_password", "a long phrase for root")
	b.fill("confirm_password", "a long phrase for root")
	b.shot("password-change")
	b.press("Set my password")

	b.at("/-/account")
	b.see("Username root", "You sign in with your password", "Demo group (demo)", "owner")
	b.shot("account")
	if got := b.apiUser(); got != "root" {
		t.Errorf("GET /api/v4/user after the password change = %q, want root", got)
	}

	// The one-time password is spent; the new one signs in.
	b2 := s.newTab(t, false)
	b2.signIn("root", s.oneTimePassword)
	b2.see("do not match an account")
	b2.signIn("root", "a long phrase for root")
	b2.at("/-/account")
}

// ownerConfiguresSAMLAndSCIM: an owner signs in with the keyboard alone,
// uploads the IdP's metadata, sees its certificate trusted, generates a
// SCIM token and sees it once; the token works on the SCIM endpoint.
func (s *suite) ownerConfiguresSAMLAndSCIM(t *testing.T) {
	b := s.newTab(t, false)
	settings := "/groups/" + ownerGroup + "/-/saml"
	// Signed out, the settings page sends the owner to sign in and back.
	b.open(settings)
	b.at("/users/sign_in")

	// Keyboard only: focus the first field, type, Tab, type, Enter.
	b.do(chromedp.Focus(chromedp.ID("login")), chromedp.KeyEvent(ownerName), chromedp.KeyEvent(kb.Tab))
	if got := b.focused(); got != "password" {
		t.Fatalf("Tab from the login field focuses %q, want the password field", got)
	}
	b.do(chromedp.KeyEvent(ownerPass))
	b.load(chromedp.KeyEvent(kb.Enter))
	b.at(settings)
	b.see("SAML SSO settings", "Acme Corp", "Values for your identity provider",
		"SAML SSO is not configured for this group yet.", "No certificate is trusted yet.", "The group has no SCIM token.")
	for id, want := range map[string]string{
		"sp-entity": s.base + "/groups/" + ownerGroup,
		"sp-acs":    s.base + "/groups/" + ownerGroup + "/-/saml/callback",
		"sp-sso":    s.base + "/groups/" + ownerGroup + "/-/saml/sso",
		"sp-md":     s.base + "/groups/" + ownerGroup + "/-/saml/metadata",
	} {
		if got := b.value(id); got != want {
			t.Errorf("settings field %s = %q, want %q", id, got, want)
		}
	}
	// With JavaScript, each value has a Copy button named after its field;
	// pressing it copies the value (or, where the clipboard is refused,
	// selects the field for a manual copy).
	if !b.eval(`document.querySelectorAll("input.copy + button.copy-button").length >= 5 &&
		document.querySelector("#sp-entity + button.copy-button").getAttribute("aria-label").startsWith("Copy Identifier")`) {
		t.Errorf("the settings page has no labelled Copy button next to each value")
	}
	b.do(chromedp.Click(`//input[@id="sp-acs"]/following-sibling::button[1]`))
	copied := false
	for i := 0; i < 20 && !copied; i++ {
		copied = b.eval(`document.querySelector("#sp-acs + button.copy-button").textContent === "Copied" || document.activeElement.id === "sp-acs"`)
		if !copied {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !copied {
		t.Errorf("pressing Copy next to the ACS URL neither copied it nor selected it")
	}
	b.shot("settings")

	b.do(chromedp.Click(chromedp.ID("mode-file")), chromedp.SetUploadFiles(chromedp.ID("metadata_file"), []string{s.mdFile}))
	b.press("Save SAML settings")
	b.at(settings)
	page := b.see("The SAML settings were saved.", "https://login.acme-corp.idp.test/metadata", "login.acme-corp")
	if !strings.Contains(strings.ToLower(strings.ReplaceAll(page, ":", "")), s.idpCertSHA256) {
		t.Errorf("the settings page does not list the IdP's certificate SHA-256 %s:\n%s", s.idpCertSHA256, page)
	}

	b.press("Generate a SCIM token")
	b.see("The group's first SCIM token was generated.", "Your new SCIM token. Copy it now", "Revoke")
	token := b.value("new-token")
	if !strings.HasPrefix(token, "gth_scim_") {
		t.Fatalf("the new SCIM token is %q, want gth_scim_…", token)
	}
	// The field is tall enough for the underscores of gth_scim_ to show.
	if !b.eval(`(() => { const s = getComputedStyle(document.getElementById("new-token")); return parseFloat(s.lineHeight) >= 1.3 * parseFloat(s.fontSize) })()`) {
		t.Errorf("the new token's field has a line height that cuts off underscores")
	}
	b.scrollTo("SCIM provisioning")
	b.shot("scim-token")

	req, err := http.NewRequest(http.MethodGet, s.base+"/api/scim/v2/groups/"+ownerGroup+"/Users", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "ListResponse") {
		t.Errorf("GET …/Users with the new token = %d %s, want 200 with a ListResponse", resp.StatusCode, body)
	}

	// Shown once: the page loaded again shows no token.
	b.open(settings)
	if got := b.text(); strings.Contains(got, token) {
		t.Errorf("the settings page shows the SCIM token again")
	}
}

// eval evaluates a JavaScript condition on the page.
func (b *tab) eval(js string) bool {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return ok
}

// focused is the id of the element that has the keyboard focus.
func (b *tab) focused() string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
	if err != nil {
		b.t.Fatalf("read the focus: %v", err)
	}
	return id
}

// value is the value of the form field with the id.
func (b *tab) value(id string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID(id)))
	if err != nil {
		b.t.Fatalf("read the field %s: %v", id, err)
	}
	return v
}

// provisionSamples presses the simulator's Provision sample users.
func (b *tab) provisionSamples() {
	b.t.Helper()
	b.press("Provision sample users")
	b.see("Ada Lovelace", "Grace Hopper", "Linus Torvalds")
}

// startDemoSSO opens the demo group's sign-in page and presses its button:
// the browser is then on the simulator, which checked the request.
func (b *tab) startDemoSSO() {
	b.t.Helper()
	b.open("/groups/demo/-/saml/sso")
	b.press("Sign in with 127.0.0.1")
	b.at("/-/demo/idp/sso")
	b.see("Demo identity provider", "The sign-in request was checked")
}

// provisionedUserSignsIn: with JavaScript off, the sample users are
// provisioned on the simulator, and Ada signs in SP-initiated.
func (s *suite) provisionedUserSignsIn(t *testing.T) {
	b := s.newTab(t, true)
	b.open("/groups/demo/-/saml/sso")
	b.see("Sign in to Demo group", "Demo mode: the identity provider is a simulator")
	b.shot("sso")
	b.press("Sign in with 127.0.0.1")
	b.at("/-/demo/idp/sso")
	b.provisionSamples()
	b.see("Provisioning sent over SCIM")

	b.press("Sign in as ada@demo.example")
	b.see("Continue to Demo group")
	b.press("Continue")
	b.at("/-/account")
	b.see("Ada Lovelace", "ada@demo.example", "Demo group (demo)", "guest", "00u1ada7demo")
	if got := b.apiUser(); !strings.HasPrefix(got, "ada") {
		t.Errorf("GET /api/v4/user = %q, want Ada's username", got)
	}
}

// existingAccountLinks: Grace had a personal account before the IdP
// provisioned her. She signs in with her password, starts the demo
// group's SSO, confirms the link and is signed in through the IdP.
func (s *suite) existingAccountLinks(t *testing.T) {
	b := s.newTab(t, false)
	b.open("/-/demo/idp")
	b.provisionSamples() // idempotent; Grace's pending link comes from the first run

	b.signIn("grace", gracePass)
	b.at("/-/account")
	b.see("Grace Hopper", "waiting for you to link your account")

	b.open("/groups/demo/-/saml/sso")
	b.see("You are signed in as grace, which is not linked to Demo group's identity provider yet")
	b.press("Sign in with 127.0.0.1")
	b.press("Sign in as grace@demo.example")
	b.press("Continue")
	b.at("/groups/demo/-/saml/continue")
	b.see("Link your account", "signed you in as 00u2grace5demo", "Link this identity to your account grace?")
	b.shot("link")
	b.press("Link my account")

	b.at("/-/account")
	page := b.see("Linked identities", "00u2grace5demo")
	if strings.Contains(page, "waiting for you to link") {
		t.Errorf("after linking, the account page still shows the membership pending:\n%s", page)
	}
	if got := b.apiUser(); got != "grace" {
		t.Errorf("GET /api/v4/user = %q, want grace", got)
	}
}

// deprovisionedUserIsRefused: Linus is deprovisioned on the simulator and
// then refused, with a reference id the owner finds in the SAML log.
func (s *suite) deprovisionedUserIsRefused(t *testing.T) {
	b := s.newTab(t, false)
	b.startDemoSSO()
	b.provisionSamples()
	b.load(chromedp.Click(`//tr[td[normalize-space()="Linus Torvalds"]]//button[normalize-space()="Deprovision"]`))
	b.see("deprovisioned", "Reactivate")
	b.scrollTo("People of Demo group")
	b.shot("demo-idp")
	b.press("Sign in as linus@demo.example")
	b.press("Continue")
	page := b.see("Your access was removed", "Reference:", "give it to the group's owner")
	m := regexp.MustCompile(`Reference: (\S+)`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the refusal page shows no reference id:\n%s", page)
	}
	b.shot("refused")
	if got := b.apiUser(); !strings.Contains(got, "401") {
		t.Errorf("GET /api/v4/user after the refusal = %q, want 401", got)
	}

	// The owner finds the reference in the group's SAML log.
	o := s.newTab(t, false)
	o.signIn(ownerName, ownerPass)
	o.open("/groups/demo/-/saml/log")
	o.see("SAML log of Demo group", "deprovisioned", m[1], "signed_in")
	// The filters sit on one line: the outcome select is not stretched.
	if !o.eval(`document.getElementById("outcome").offsetWidth < 300`) {
		t.Errorf("the SAML log's outcome filter spans the page")
	}
	o.shot("saml-log")
	o.fill("ref", m[1])
	o.press("Open")
	o.see(m[1], "00u3linus9demo", "deprovisioned")
}

// ownerFixesWrongExternUID: the owner sets Ada's extern_uid to a wrong
// value; the NameID the IdP sends no longer signs her in, the identity
// page says why, and setting it back lets her sign in again.
func (s *suite) ownerFixesWrongExternUID(t *testing.T) {
	const nameID = "00u1ada7demo"
	o := s.newTab(t, false)
	o.signIn(ownerName, ownerPass)
	o.load(chromedp.Click(`//tr[td[contains(., "(demo)")]]//a[normalize-space()="Members"]`))
	o.at("/groups/demo/-/members")
	o.see("Members of Demo group", "linked as "+nameID)
	o.shot("members")
	o.load(chromedp.Click(`//a[starts-with(normalize-space(), "ada")]`))
	identity := o.location()
	o.see("Can sign in through the group's identity provider", nameID)
	o.fill("extern-uid", "ada.lovelace@wrong.example")
	o.press("Save extern_uid")
	o.see("ada.lovelace@wrong.example")

	// Ada signs in with the NameID the IdP knows her by (typed on the
	// simulator, whose list follows the changed SCIM identity).
	a := s.newTab(t, false)
	a.startDemoSSO()
	a.fill("name_id", nameID)
	a.press("Sign in")
	a.press("Continue")
	a.see("No account for this sign-in", nameID, "Reference:")

	o.open(identity)
	o.see("Cannot sign in through the group's identity provider",
		`The identity provider last sent NameID "`+nameID+`"`, `the identity's extern_uid is "ada.lovelace@wrong.example"`)
	o.shot("identity")
	o.fill("extern-uid", nameID)
	o.press("Save extern_uid")
	o.at(identity)
	o.see("Can sign in through the group's identity provider")

	a.startDemoSSO()
	a.fill("name_id", nameID)
	a.press("Sign in")
	a.press("Continue")
	a.at("/-/account")
	a.see("Ada Lovelace", nameID)
}
