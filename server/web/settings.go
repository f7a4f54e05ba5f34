package web

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/sso"
)

// The group owner's SAML SSO settings page, /groups/{group}/-/saml
// (interfaces.md "Web pages"): the SP values to copy into the IdP, the IdP
// form (the use case of `gatehouse saml configure`), the trusted
// certificates, "Verify SAML configuration", the group's SCIM tokens, and
// its group links (grouplinks.go).
// Every GET and POST asks admin.AuthorizeOwner; every POST is checked
// against cross-origin requests first.

// Limits of the settings form.
const (
	// maxSettingsForm bounds the multipart form of the IdP settings in
	// memory; the server's body limit bounds it on the wire.
	maxSettingsForm = 1 << 20
	// maxMetadataFile bounds an uploaded metadata document.
	maxMetadataFile = 512 << 10
	// maxCertificateFile bounds an uploaded or pasted certificate.
	maxCertificateFile = 64 << 10
	// certExpirySoon is how early the page warns of a certificate's expiry.
	certExpirySoon = 30 * 24 * time.Hour
)

// How the IdP form gives the IdP (the radio buttons' values).
const (
	modeMetadataFile = "metadata_file"
	modeMetadataURL  = "metadata_url"
	modeCertificate  = "certificate"
	modeFingerprint  = "fingerprint"
)

// settingsForm is the IdP form: the stored configuration, or what the
// owner typed when it was refused. Uploaded files cannot be shown again.
type settingsForm struct {
	Mode                                   string
	MetadataURL, SSOURL, IdPEntityID       string
	Certificate, Certificate2, Fingerprint string
	DefaultRole                            string
	ClockSkew                              string // seconds
	EnforceSSO, AllowIdPInitiated          bool
	CreateUsers                            bool
}

// certView is a trusted certificate as the page lists it.
type certView struct {
	admin.SAMLCertificate
	Fingerprint string // SHA256 with colons
	ExpiresSoon bool
}

// settingsData is what the settings page shows.
type settingsData struct {
	Group        *gatehouse.Group
	Base         string // the page's own path
	SP           admin.SAMLServiceProvider
	Config       *gatehouse.SAMLConfig // nil until SAML is configured
	Certificates []certView
	Fingerprints []string
	Warnings     []string // about the stored configuration
	Form         settingsForm
	Roles        []string

	Error    string   // why the form was refused
	Saved    bool     // the form was saved just now
	Notices  []string // warnings of what was saved just now
	TokenMsg string   // what a token button did

	SCIMURL   string
	Tokens    []*gatehouse.SCIMToken
	MaxTokens int
	// NewToken is a token just created: shown once, on this response only.
	NewToken string

	linksData
}

// settingsPages are the templates of the settings page and of its test.
var settingsPages = []string{"settings", "verify"}

// registerSettings adds the settings page's routes.
func (h *Handler) registerSettings(srv *server.Server, opt server.HandleOption) {
	page := "/groups/{group}/-/saml"
	srv.HandleFunc("GET "+page, h.settings, opt)
	srv.HandleFunc("POST "+page, h.configure, opt)
	srv.HandleFunc("POST "+page+"/scim_token", h.scimToken, opt)
	srv.HandleFunc("POST "+page+"/verify", h.verifyStart, opt)
	srv.HandleFunc("POST "+page+"/group_links", h.groupLinks, opt)
}

// settingsPath is the settings page of g.
func settingsPath(g *gatehouse.Group) string { return "/groups/" + g.Path + "/-/saml" }

// settingsOwner is the signed-in owner of the group the request names, by
// admin.AuthorizeOwner: nil with a nil error when a signed-out GET was
// sent to sign in. A POST must come from our own origin (checkOrigin).
func (h *Handler) settingsOwner(w http.ResponseWriter, r *http.Request) (*gatehouse.Group, *gatehouse.User, error) {
	if r.Method != http.MethodGet {
		// Every form of the settings page changes something: refuse a
		// post from another origin before anything else.
		if err := h.checkOrigin(r); err != nil {
			return nil, nil, err
		}
	}
	_, u, err := h.session(r)
	if err != nil {
		return nil, nil, err
	}
	if u == nil && r.Method == http.MethodGet {
		back := "/groups/" + r.PathValue("group") + "/-/saml"
		http.Redirect(w, r, "/users/sign_in?return_to="+url.QueryEscape(sso.SafeRelayState(back)), http.StatusSeeOther)
		return nil, nil, nil
	}
	g, err := admin.AuthorizeOwner(r.Context(), h.SSO.Store, u, r.PathValue("group"))
	if err != nil {
		return nil, nil, err
	}
	return g, u, nil
}

// settingsPage builds the page's data for g; the form shows the stored
// configuration.
func (h *Handler) settingsPage(r *http.Request, g *gatehouse.Group) (*settingsData, error) {
	ctx := r.Context()
	now := time.Now().UTC()
	if h.SSO.Now != nil {
		now = h.SSO.Now().UTC()
	}
	d := &settingsData{Group: g, Base: settingsPath(g), SP: admin.ServiceProvider(h.SSO.BaseURL, g),
		SCIMURL:   strings.TrimRight(h.SSO.BaseURL, "/") + "/api/scim/v2/groups/" + strconv.FormatInt(g.ID, 10),
		MaxTokens: admin.MaxSCIMTokens}
	for r := gatehouse.Guest; r <= gatehouse.Owner; r++ {
		if r.Valid() {
			d.Roles = append(d.Roles, r.String())
		}
	}
	cfg, err := h.SSO.Store.FindSAMLConfig(ctx, g.ID)
	switch {
	case err == nil:
		d.Config = cfg
		for _, c := range admin.SAMLCertificates(cfg, now) {
			d.Certificates = append(d.Certificates, certView{SAMLCertificate: c, Fingerprint: colonHex(c.SHA256), ExpiresSoon: !c.Expired && c.NotAfter.Sub(now) < certExpirySoon})
		}
		for _, fp := range cfg.Fingerprints {
			d.Fingerprints = append(d.Fingerprints, colonHex(fp))
		}
		d.Warnings = admin.SAMLWarnings(cfg, now)
	case !gatehouse.IsKind(err, gatehouse.NotFound):
		return nil, err
	}
	d.Form = formOf(g, cfg)
	if d.Tokens, err = h.SSO.Store.ListSCIMTokens(ctx, g.ID); err != nil {
		return nil, err
	}
	if d.Links, err = h.SSO.Store.ListGroupLinks(ctx, g.ID); err != nil {
		return nil, err
	}
	d.LinkForm.Role = gatehouse.Developer.String()
	return d, nil
}

// formOf is the IdP form for the stored configuration (nil: none yet).
func formOf(g *gatehouse.Group, cfg *gatehouse.SAMLConfig) settingsForm {
	f := settingsForm{Mode: modeMetadataFile, DefaultRole: g.DefaultRole.String(), ClockSkew: "60", AllowIdPInitiated: true}
	if !g.DefaultRole.Valid() {
		f.DefaultRole = gatehouse.Guest.String()
	}
	if cfg == nil {
		return f
	}
	f.EnforceSSO, f.AllowIdPInitiated, f.CreateUsers = cfg.EnforceSSO, cfg.AllowIdPInitiated, cfg.CreateUsers
	if cfg.ClockSkew > 0 {
		f.ClockSkew = strconv.FormatInt(int64(cfg.ClockSkew/time.Second), 10)
	}
	f.SSOURL, f.IdPEntityID = cfg.SSOURL, cfg.IdPEntityID
	switch {
	case cfg.MetadataURL != "":
		f.Mode, f.MetadataURL = modeMetadataURL, cfg.MetadataURL
	case cfg.MetadataXML != "":
		f.Mode = modeMetadataFile
	case len(cfg.Fingerprints) > 0:
		f.Mode, f.Fingerprint = modeFingerprint, colonHex(cfg.Fingerprints[0])
	default:
		f.Mode = modeCertificate
		if len(cfg.Certificates) > 0 {
			f.Certificate = cfg.Certificates[0]
		}
		if len(cfg.Certificates) > 1 {
			f.Certificate2 = cfg.Certificates[1]
		}
	}
	return f
}

func (h *Handler) settings(w http.ResponseWriter, r *http.Request) error {
	g, u, err := h.settingsOwner(w, r)
	if g == nil || err != nil {
		return err
	}
	d, err := h.settingsPage(r, g)
	if err != nil {
		return err
	}
	return renderSettings(w, http.StatusOK, u, d)
}

func renderSettings(w http.ResponseWriter, status int, u *gatehouse.User, d *settingsData) error {
	return render(w, status, "settings", page{Title: "SAML SSO settings of " + d.Group.Name, SignedIn: u, D: d})
}

// configure saves the IdP form with admin.ConfigureSAML. A refusal shows
// the form again, as typed, with the reason.
func (h *Handler) configure(w http.ResponseWriter, r *http.Request) error {
	g, u, err := h.settingsOwner(w, r)
	if err != nil {
		return err
	}
	form, in, formErr := readSettingsForm(r)
	var tooBig *http.MaxBytesError
	if errors.As(formErr, &tooBig) {
		return formErr
	}
	var warnings []string
	refused := formErr
	if refused == nil {
		_, warnings, refused = h.admin().ConfigureSAML(r.Context(), actor(r, u), strconv.FormatInt(g.ID, 10), in)
	}
	status := http.StatusOK
	if refused != nil {
		if status = server.ErrorStatus(refused); status == http.StatusInternalServerError {
			return refused
		}
	}
	// Read the group again: the default role may have changed.
	if g, err = admin.FindGroup(r.Context(), h.SSO.Store, strconv.FormatInt(g.ID, 10)); err != nil {
		return err
	}
	d, perr := h.settingsPage(r, g)
	if perr != nil {
		return perr
	}
	if refused != nil {
		d.Form, d.Error = form, server.ErrorMessage(refused)
	} else {
		d.Saved, d.Notices = true, warnings
	}
	return renderSettings(w, status, u, d)
}

// readSettingsForm reads the IdP form (multipart, or urlencoded without
// files) into what ConfigureSAML takes. An Invalid error says what is wrong
// with the form itself.
func readSettingsForm(r *http.Request) (settingsForm, admin.SAMLSettings, error) {
	var f settingsForm
	var in admin.SAMLSettings
	if err := r.ParseMultipartForm(maxSettingsForm); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return f, in, err
		}
		return f, in, gatehouse.Errorf(gatehouse.Invalid, "the form could not be read; send it again")
	}
	v := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	f = settingsForm{
		Mode: v("mode"), MetadataURL: v("metadata_url"), SSOURL: v("sso_url"), IdPEntityID: v("idp_entity_id"),
		Certificate: v("certificate"), Certificate2: v("certificate2"), Fingerprint: v("fingerprint"),
		DefaultRole: v("default_role"), ClockSkew: v("clock_skew"),
		EnforceSSO: v("enforce_sso") != "", AllowIdPInitiated: v("allow_idp_initiated") != "", CreateUsers: v("create_users") != "",
	}
	in = admin.SAMLSettings{EnforceSSO: f.EnforceSSO, AllowIdPInitiated: f.AllowIdPInitiated, CreateUsers: f.CreateUsers}
	if f.DefaultRole != "" {
		role, err := gatehouse.ParseRole(f.DefaultRole)
		if err != nil {
			return f, in, gatehouse.Errorf(gatehouse.Invalid, "default membership role %q is not one of guest, reporter, developer, maintainer, owner", f.DefaultRole)
		}
		in.DefaultRole = role
	}
	if f.ClockSkew != "" {
		secs, err := strconv.Atoi(f.ClockSkew)
		if err != nil || secs < 1 {
			return f, in, gatehouse.Errorf(gatehouse.Invalid, "clock skew %q must be a whole number of seconds, from 1 to %d", f.ClockSkew, int(gatehouse.MaxClockSkew/time.Second))
		}
		in.ClockSkew = time.Duration(secs) * time.Second
	}
	switch f.Mode {
	case modeMetadataFile:
		data, err := formFile(r, "metadata_file", maxMetadataFile)
		if err != nil {
			return f, in, err
		}
		if len(data) == 0 {
			return f, in, gatehouse.Errorf(gatehouse.Invalid, "choose the identity provider's metadata file (XML) to upload")
		}
		in.MetadataXML, in.IdPEntityID = data, f.IdPEntityID
	case modeMetadataURL:
		if f.MetadataURL == "" {
			return f, in, gatehouse.Errorf(gatehouse.Invalid, "give the identity provider's metadata URL (https)")
		}
		in.MetadataURL, in.IdPEntityID = f.MetadataURL, f.IdPEntityID
	case modeCertificate, modeFingerprint:
		in.SSOURL, in.IdPEntityID = f.SSOURL, f.IdPEntityID
		if in.SSOURL == "" {
			return f, in, gatehouse.Errorf(gatehouse.Invalid, "give the identity provider's single sign-on URL (https)")
		}
		if f.Mode == modeFingerprint {
			if f.Fingerprint == "" {
				return f, in, gatehouse.Errorf(gatehouse.Invalid, "give the SHA-256 fingerprint of the identity provider's signing certificate")
			}
			in.Fingerprint = f.Fingerprint
			break
		}
		for i, slot := range []struct{ file, text, name string }{
			{"certificate_file", f.Certificate, "certificate"},
			{"certificate2_file", f.Certificate2, "second certificate"},
		} {
			data, err := formFile(r, slot.file, maxCertificateFile)
			if err != nil {
				return f, in, err
			}
			if len(data) == 0 {
				data = []byte(slot.text)
			}
			if len(data) > maxCertificateFile {
				return f, in, gatehouse.Errorf(gatehouse.Invalid, "the %s is larger than %d KiB", slot.name, maxCertificateFile>>10)
			}
			if len(data) == 0 {
				if i == 0 {
					return f, in, gatehouse.Errorf(gatehouse.Invalid, "upload or paste the identity provider's signing certificate (PEM)")
				}
				continue
			}
			in.Certificates = append(in.Certificates, admin.PEMFile{Name: slot.name, Data: data})
		}
	default:
		return f, in, gatehouse.Errorf(gatehouse.Invalid, "choose how to give the identity provider: metadata file, metadata URL, certificate or fingerprint")
	}
	return f, in, nil
}

// formFile reads the uploaded file of the field name: nil when none was
// chosen, Invalid when it is larger than limit.
func formFile(r *http.Request, name string, limit int64) ([]byte, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	fhs := r.MultipartForm.File[name]
	if len(fhs) == 0 {
		return nil, nil
	}
	if len(fhs) > 1 {
		return nil, gatehouse.Errorf(gatehouse.Invalid, "choose one file for %s", name)
	}
	if fhs[0].Size > limit {
		return nil, gatehouse.Errorf(gatehouse.Invalid, "the file %q is larger than %d KiB", fhs[0].Filename, limit>>10)
	}
	return readUpload(fhs[0], limit)
}

func readUpload(fh *multipart.FileHeader, limit int64) ([]byte, error) {
	file, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, gatehouse.Errorf(gatehouse.Invalid, "the file %q is larger than %d KiB", fh.Filename, limit>>10)
	}
	return data, nil
}

// scimToken runs a SCIM token button: generate or reset (replaces every
// token), add a second one (a rotation), or revoke one. A new token is in
// this response only, never in a URL, and never stored in clear.
func (h *Handler) scimToken(w http.ResponseWriter, r *http.Request) error {
	g, u, err := h.settingsOwner(w, r)
	if err != nil {
		return err
	}
	ctx, a, ref := r.Context(), actor(r, u), strconv.FormatInt(g.ID, 10)
	var token, msg string
	switch r.PostFormValue("action") {
	case "reset":
		// Only for the message: "Generate" on a group without tokens
		// replaces nothing, and should not say it did.
		earlier, lerr := h.SSO.Store.ListSCIMTokens(ctx, g.ID)
		if lerr != nil {
			return lerr
		}
		token, _, err = h.admin().ResetSCIMTokens(ctx, a, ref)
		msg = "A new SCIM token replaces every earlier one, which stopped working."
		if len(earlier) == 0 {
			msg = "The group's first SCIM token was generated."
		}
	case "create":
		token, _, err = h.admin().CreateSCIMToken(ctx, a, ref)
		msg = "A second SCIM token was added; the earlier one works until you revoke it."
	case "revoke":
		id, perr := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
		if perr != nil {
			return gatehouse.Errorf(gatehouse.Invalid, "no SCIM token was named to revoke")
		}
		err = h.admin().RevokeSCIMToken(ctx, a, ref, id)
		msg = "The SCIM token was revoked; requests with it are refused from now on."
	default:
		return gatehouse.Errorf(gatehouse.Invalid, "unknown SCIM token action")
	}
	status := http.StatusOK
	if err != nil {
		if status = server.ErrorStatus(err); status >= http.StatusInternalServerError {
			return err
		}
		msg = server.ErrorMessage(err)
	}
	d, err := h.settingsPage(r, g)
	if err != nil {
		return err
	}
	d.TokenMsg, d.NewToken = msg, token
	return renderSettings(w, status, u, d)
}

// verifyStart starts "Verify SAML configuration" for the signed-in owner:
// a real SP-initiated sign-in, marked as a test.
func (h *Handler) verifyStart(w http.ResponseWriter, r *http.Request) error {
	g, u, err := h.settingsOwner(w, r)
	if err != nil {
		return err
	}
	_, cfg, err := h.SSO.Group(r.Context(), strconv.FormatInt(g.ID, 10))
	if err != nil {
		return err
	}
	b, _, err := h.browser(w, r, true)
	if err != nil {
		return err
	}
	to, err := h.SSO.StartVerify(r.Context(), g, cfg, b, u)
	if err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusFound)
	return nil
}

// verifyData is what the verify results page shows.
type verifyData struct {
	Group    *gatehouse.Group
	Settings string
	R        *sso.VerifyReport
	Failed   *saml.Check
}

// renderVerify shows an owner's test of the SAML configuration.
func renderVerify(w http.ResponseWriter, status int, g *gatehouse.Group, u *gatehouse.User, rep *sso.VerifyReport) error {
	d := verifyData{Group: g, Settings: settingsPath(g), R: rep}
	if n := len(rep.Checks); n > 0 && !rep.Checks[n-1].OK {
		d.Failed = &rep.Checks[n-1]
	}
	return render(w, status, "verify", page{Title: "Verify SAML configuration", SignedIn: u, D: d})
}

// colonHex spells a hex fingerprint as IdPs show it: upper case, a colon
// between bytes.
func colonHex(fp string) string {
	fp = strings.ToUpper(fp)
	var b strings.Builder
	for i := 0; i < len(fp); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(fp[i:min(i+2, len(fp))])
	}
	return b.String()
}
