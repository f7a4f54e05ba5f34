package scim

import "strings"

// The schema and message URNs of RFC 7643 and RFC 7644.
const (
	UserSchema           = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupSchema          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	ListResponseSchema   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	ErrorSchema          = "urn:ietf:params:scim:api:messages:2.0:Error"
	PatchOpSchema        = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SPConfigSchema       = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	ResourceTypeSchema   = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaSchema         = "urn:ietf:params:scim:schemas:core:2.0:Schema"

	// LegacyUserSchema is the pre-RFC core URN OneLogin's templates still
	// send; it counts as the User schema.
	LegacyUserSchema = "urn:scim:schemas:core:2.0"
	// LegacyEnterpriseSchema is OneLogin's pre-RFC enterprise URN.
	LegacyEnterpriseSchema = "urn:scim:schemas:extension:enterprise:2.0"
)

// Type is a SCIM attribute type (RFC 7643 §2.3).
type Type string

// The attribute types.
const (
	String    Type = "string"
	Boolean   Type = "boolean"
	Decimal   Type = "decimal"
	Integer   Type = "integer"
	DateTime  Type = "dateTime"
	Binary    Type = "binary"
	Reference Type = "reference"
	Complex   Type = "complex"
)

// Mutability and Returned values (RFC 7643 §7).
const (
	ReadOnly  = "readOnly"
	ReadWrite = "readWrite"
	Immutable = "immutable"
	WriteOnly = "writeOnly"

	ReturnedAlways  = "always"
	ReturnedNever   = "never"
	ReturnedDefault = "default"
	ReturnedRequest = "request"
)

// Attribute describes one attribute of a schema. Names are matched
// case-insensitively (RFC 7643 §2.1); Name holds the canonical spelling.
type Attribute struct {
	Name            string
	Type            Type
	MultiValued     bool
	Description     string
	Required        bool
	CaseExact       bool
	Mutability      string
	Returned        string
	Uniqueness      string // none, server, global
	CanonicalValues []string
	ReferenceTypes  []string
	SubAttributes   []*Attribute
}

// Sub returns the sub-attribute named name (any case), or nil.
func (a *Attribute) Sub(name string) *Attribute { return find(a.SubAttributes, name) }

// Schema is a resource schema or schema extension.
type Schema struct {
	ID          string
	Name        string
	Description string
	Attributes  []*Attribute
}

// Attr returns the attribute named name (any case), or nil.
func (s *Schema) Attr(name string) *Attribute { return find(s.Attributes, name) }

func find(attrs []*Attribute, name string) *Attribute {
	for _, a := range attrs {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

// attr builds a single-valued read-write string attribute, the common case;
// options adjust it.
func attr(name string, opts ...func(*Attribute)) *Attribute {
	a := &Attribute{Name: name, Type: String, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: "none"}
	for _, o := range opts {
		o(a)
	}
	return a
}

func typ(t Type) func(*Attribute)    { return func(a *Attribute) { a.Type = t } }
func multi(a *Attribute)             { a.MultiValued = true }
func required(a *Attribute)          { a.Required = true }
func caseExact(a *Attribute)         { a.CaseExact = true }
func readOnly(a *Attribute)          { a.Mutability = ReadOnly }
func returnedAlways(a *Attribute)    { a.Returned = ReturnedAlways }
func desc(d string) func(*Attribute) { return func(a *Attribute) { a.Description = d } }
func refs(t ...string) func(*Attribute) {
	return func(a *Attribute) { a.Type, a.ReferenceTypes = Reference, t }
}
func canonical(v ...string) func(*Attribute) { return func(a *Attribute) { a.CanonicalValues = v } }
func subs(s ...*Attribute) func(*Attribute) {
	return func(a *Attribute) { a.Type, a.SubAttributes = Complex, s }
}

// multiValued builds the sub-attributes RFC 7643 §2.4 gives every
// multi-valued attribute: value, display, type and primary.
func multiValued(name, d string, types ...string) *Attribute {
	return attr(name, multi, desc(d), subs(
		attr("value", desc("The attribute's significant value.")),
		attr("display", desc("A human-readable name, primarily used for display purposes.")),
		attr("type", canonical(types...), desc("A label indicating the attribute's function.")),
		attr("primary", typ(Boolean), desc("Indicates the primary or preferred attribute value.")),
	))
}

// User is the core User schema (RFC 7643 §4.1).
var User = &Schema{
	ID:          UserSchema,
	Name:        "User",
	Description: "User Account",
	Attributes: []*Attribute{
		attr("userName", required, returnedAlways, func(a *Attribute) { a.Uniqueness = "server" },
			desc("Unique identifier for the User, typically used by the user to directly authenticate to the service provider.")),
		attr("name", desc("The components of the user's real name."), subs(
			attr("formatted", desc("The full name, including all middle names, titles, and suffixes as appropriate, formatted for display.")),
			attr("familyName", desc("The family name of the User, or last name.")),
			attr("givenName", desc("The given name of the User, or first name.")),
			attr("middleName", desc("The middle name(s) of the User.")),
			attr("honorificPrefix", desc("The honorific prefix(es) of the User.")),
			attr("honorificSuffix", desc("The honorific suffix(es) of the User.")),
		)),
		attr("displayName", desc("The name of the User, suitable for display to end-users.")),
		attr("nickName", desc("The casual way to address the user in real life.")),
		attr("profileUrl", refs("external"), desc("A fully qualified URL pointing to a page representing the User's online profile.")),
		attr("title", desc("The user's title, such as \"Vice President\".")),
		attr("userType", desc("Used to identify the relationship between the organization and the user.")),
		attr("preferredLanguage", desc("Indicates the User's preferred written or spoken language.")),
		attr("locale", desc("Used to indicate the User's default location for localization.")),
		attr("timezone", desc("The User's time zone in the 'Olson' time zone database format.")),
		attr("active", typ(Boolean), desc("A Boolean value indicating the User's administrative status.")),
		attr("password", func(a *Attribute) { a.Mutability, a.Returned = WriteOnly, ReturnedNever },
			desc("Accepted and discarded: Gatehouse users sign in through their identity provider.")),
		multiValued("emails", "Email addresses for the user.", "work", "home", "other"),
		multiValued("phoneNumbers", "Phone numbers for the User.", "work", "home", "mobile", "fax", "pager", "other"),
		multiValued("ims", "Instant messaging addresses for the User."),
		multiValued("photos", "URLs of photos of the User.", "photo", "thumbnail"),
		attr("addresses", multi, desc("A physical mailing address for this User."), subs(
			attr("formatted"), attr("streetAddress"), attr("locality"), attr("region"),
			attr("postalCode"), attr("country"),
			attr("type", canonical("work", "home", "other")),
			attr("primary", typ(Boolean)),
		)),
		attr("groups", multi, readOnly, desc("A list of groups to which the user belongs."), subs(
			attr("value", readOnly), attr("$ref", readOnly, refs("Group")), attr("display", readOnly),
			attr("type", readOnly, canonical("direct", "indirect")),
		)),
		multiValued("entitlements", "A list of entitlements for the User."),
		multiValued("roles", "A list of roles for the User."),
		attr("x509Certificates", multi, desc("A list of certificates issued to the User."), subs(
			attr("value", typ(Binary)), attr("display"), attr("type"), attr("primary", typ(Boolean)),
		)),
	},
}

// EnterpriseUser is the enterprise User extension (RFC 7643 §4.3).
var EnterpriseUser = &Schema{
	ID:          EnterpriseUserSchema,
	Name:        "EnterpriseUser",
	Description: "Enterprise User",
	Attributes: []*Attribute{
		attr("employeeNumber", desc("Numeric or alphanumeric identifier assigned to a person.")),
		attr("costCenter", desc("Identifies the name of a cost center.")),
		attr("organization", desc("Identifies the name of an organization.")),
		attr("division", desc("Identifies the name of a division.")),
		attr("department", desc("Identifies the name of a department.")),
		attr("manager", desc("The User's manager."), subs(
			attr("value", desc("The id of the SCIM resource representing the User's manager.")),
			attr("$ref", refs("User"), desc("The URI of the SCIM resource representing the User's manager.")),
			attr("displayName", readOnly, desc("The displayName of the User's manager.")),
		)),
	},
}

// Group is the core Group schema (RFC 7643 §4.2), published for discovery:
// the groups a group's IdP pushes to /Groups, whose members are its Users.
var Group = &Schema{
	ID:          GroupSchema,
	Name:        "Group",
	Description: "Group",
	Attributes: []*Attribute{
		attr("displayName", required, desc("A human-readable name for the Group.")),
		attr("members", multi, desc("A list of members of the Group."), subs(
			attr("value", func(a *Attribute) { a.Mutability = Immutable }, desc("The id of a User of this group (groups do not nest).")),
			attr("$ref", func(a *Attribute) { a.Mutability = Immutable }, refs("User"), desc("The URI of the member's User resource.")),
			attr("display", readOnly, desc("A human-readable name of the member, as the client sent it.")),
			attr("type", func(a *Attribute) { a.Mutability = Immutable }, canonical("User"), desc("The type of the member: User.")),
		)),
	},
}

// Common lists the attributes every resource has (RFC 7643 §3.1); they are
// not part of any schema's attribute list.
var Common = []*Attribute{
	attr("id", caseExact, readOnly, returnedAlways, func(a *Attribute) { a.Uniqueness = "server" }),
	attr("externalId", caseExact),
	attr("meta", readOnly, subs(
		attr("resourceType", readOnly, caseExact),
		attr("created", readOnly, typ(DateTime)),
		attr("lastModified", readOnly, typ(DateTime)),
		attr("location", readOnly, refs("uri"), caseExact),
		attr("version", readOnly, caseExact),
	)),
}

// CommonAttr returns the common attribute named name (any case), or nil.
func CommonAttr(name string) *Attribute { return find(Common, name) }
