using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Api.Http;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Openapi.V2;
using Any = Openapi.V2.Any;

namespace ClusterRegistry.Api.OpenApi;

/// <summary>
/// Converts an OpenAPI v2 (Swagger 2.0) JSON document into gnostic's <c>openapi.v2.Document</c>, the message
/// kube-apiserver serves as <c>application/com.github.proto-openapi.spec.v2@v1.0+protobuf</c> and Go clients
/// (kubectl explain, validation, dry-run detection) decode. It reads as gnostic's own compiler does: vendor
/// extensions and free-form values (default, example, enum) become <see cref="Any"/> holding YAML text, and a key
/// this converter does not know fails the conversion instead of being dropped, so the two forms cannot drift apart.
/// </summary>
internal static class GnosticV2
{
    public static Document Convert(JsonObject json)
    {
        var d = new Document();
        foreach (var (key, value) in json)
        {
            switch (key)
            {
                case "swagger": d.Swagger = Str(value); break;
                case "info": d.Info = Info(Obj(value)); break;
                case "host": d.Host = Str(value); break;
                case "basePath": d.BasePath = Str(value); break;
                case "schemes": Strings(d.Schemes, value); break;
                case "consumes": Strings(d.Consumes, value); break;
                case "produces": Strings(d.Produces, value); break;
                case "paths": d.Paths = Paths(Obj(value)); break;
                case "definitions":
                    d.Definitions = new Definitions();
                    foreach (var (name, schema) in Obj(value))
                        d.Definitions.AdditionalProperties.Add(new NamedSchema { Name = name, Value = Schema(Obj(schema)) });
                    break;
                case "tags":
                    foreach (var t in Arr(value)) d.Tags.Add(Tag(Obj(t)));
                    break;
                case "externalDocs": d.ExternalDocs = ExternalDocs(Obj(value)); break;
                default: Extension(d.VendorExtension, key, value, "document"); break;
            }
        }
        return d;
    }

    private static Info Info(JsonObject json)
    {
        var info = new Info();
        foreach (var (key, value) in json)
        {
            switch (key)
            {
                case "title": info.Title = Str(value); break;
                case "version": info.Version = Str(value); break;
                case "description": info.Description = Str(value); break;
                case "termsOfService": info.TermsOfService = Str(value); break;
                default: Extension(info.VendorExtension, key, value, "info"); break;
            }
        }
        return info;
    }

    private static Paths Paths(JsonObject json)
    {
        var paths = new Paths();
        foreach (var (key, value) in json)
        {
            if (key.StartsWith("x-", StringComparison.Ordinal)) paths.VendorExtension.Add(NamedAny(key, value));
            else paths.Path.Add(new NamedPathItem { Name = key, Value = PathItem(Obj(value)) });
        }
        return paths;
    }

    private static PathItem PathItem(JsonObject json)
    {
        var item = new PathItem();
        foreach (var (key, value) in json)
        {
            switch (key)
            {
                case "$ref": item.Ref = Str(value); break;
                case "get": item.Get = Operation(Obj(value)); break;
                case "put": item.Put = Operation(Obj(value)); break;
                case "post": item.Post = Operation(Obj(value)); break;
                case "delete": item.Delete = Operation(Obj(value)); break;
                case "options": item.Options = Operation(Obj(value)); break;
                case "head": item.Head = Operation(Obj(value)); break;
                case "patch": item.Patch = Operation(Obj(value)); break;
                case "parameters":
                    foreach (var p in Arr(value)) item.Parameters.Add(ParametersItem(Obj(p)));
                    break;
                default: Extension(item.VendorExtension, key, value, "path item"); break;
            }
        }
        return item;
    }

    private static Operation Operation(JsonObject json)
    {
        var op = new Operation();
        foreach (var (key, value) in json)
        {
            switch (key)
            {
                case "tags": Strings(op.Tags, value); break;
                case "summary": op.Summary = Str(value); break;
                case "description": op.Description = Str(value); break;
                case "externalDocs": op.ExternalDocs = ExternalDocs(Obj(value)); break;
                case "operationId": op.OperationId = Str(value); break;
                case "produces": Strings(op.Produces, value); break;
                case "consumes": Strings(op.Consumes, value); break;
                case "parameters":
                    foreach (var p in Arr(value)) op.Parameters.Add(ParametersItem(Obj(p)));
                    break;
                case "responses": op.Responses = Responses(Obj(value)); break;
                case "schemes": Strings(op.Schemes, value); break;
                case "deprecated": op.Deprecated = Bool(value); break;
                default: Extension(op.VendorExtension, key, value, "operation"); break;
            }
        }
        return op;
    }

    private static ParametersItem ParametersItem(JsonObject json)
    {
        if (json.ContainsKey("$ref")) return new ParametersItem { JsonReference = JsonReference(json) };
        var @in = Str(json["in"]);
        if (@in == "body")
        {
            var body = new BodyParameter();
            foreach (var (key, value) in json)
            {
                switch (key)
                {
                    case "description": body.Description = Str(value); break;
                    case "name": body.Name = Str(value); break;
                    case "in": body.In = Str(value); break;
                    case "required": body.Required = Bool(value); break;
                    case "schema": body.Schema = Schema(Obj(value)); break;
                    default: Extension(body.VendorExtension, key, value, "body parameter"); break;
                }
            }
            return new ParametersItem { Parameter = new Parameter { BodyParameter = body } };
        }
        var nonBody = @in switch
        {
            "query" => new NonBodyParameter { QueryParameterSubSchema = Fill(new QueryParameterSubSchema(), json) },
            "path" => new NonBodyParameter { PathParameterSubSchema = Fill(new PathParameterSubSchema(), json) },
            "header" => new NonBodyParameter { HeaderParameterSubSchema = Fill(new HeaderParameterSubSchema(), json) },
            "formData" => new NonBodyParameter { FormDataParameterSubSchema = Fill(new FormDataParameterSubSchema(), json) },
            _ => throw new NotSupportedException($"OpenAPI v2 parameter with \"in\": \"{@in}\""),
        };
        return new ParametersItem { Parameter = new Parameter { NonBodyParameter = nonBody } };
    }

    /// <summary>
    /// The four non-body parameter messages share their field names (minus a few each lacks), so they are filled
    /// through the generated descriptors by JSON name rather than four copies of the same switch.
    /// </summary>
    private static T Fill<T>(T message, JsonObject json) where T : IMessage
    {
        var fields = message.Descriptor.Fields;
        foreach (var (key, value) in json)
        {
            var field = fields.InDeclarationOrder().FirstOrDefault(f => f.JsonName == key);
            if (key.StartsWith("x-", StringComparison.Ordinal)) field = fields.InDeclarationOrder().First(f => f.Name == "vendor_extension");
            if (field is null) throw new NotSupportedException($"OpenAPI v2 {message.Descriptor.Name} key \"{key}\"");
            var accessor = field.Accessor;
            switch (field.FieldType)
            {
                case Google.Protobuf.Reflection.FieldType.String: accessor.SetValue(message, Str(value)); break;
                case Google.Protobuf.Reflection.FieldType.Bool: accessor.SetValue(message, Bool(value)); break;
                case Google.Protobuf.Reflection.FieldType.Int64: accessor.SetValue(message, Long(value)); break;
                case Google.Protobuf.Reflection.FieldType.Double: accessor.SetValue(message, Double(value)); break;
                case Google.Protobuf.Reflection.FieldType.Message when field.MessageType.Name == "PrimitivesItems":
                    accessor.SetValue(message, Fill(new PrimitivesItems(), Obj(value)));
                    break;
                case Google.Protobuf.Reflection.FieldType.Message when field.IsRepeated && field.MessageType.Name == "NamedAny":
                    ((RepeatedField<NamedAny>)accessor.GetValue(message)).Add(NamedAny(key, value));
                    break;
                case Google.Protobuf.Reflection.FieldType.Message when field.IsRepeated && field.MessageType.Name == "Any":
                    foreach (var v in Arr(value)) ((RepeatedField<Any>)accessor.GetValue(message)).Add(Any(v));
                    break;
                case Google.Protobuf.Reflection.FieldType.Message when field.MessageType.Name == "Any":
                    accessor.SetValue(message, Any(value));
                    break;
                default: throw new NotSupportedException($"OpenAPI v2 {message.Descriptor.Name} key \"{key}\"");
            }
        }
        return message;
    }

    private static Responses Responses(JsonObject json)
    {
        var responses = new Responses();
        foreach (var (key, value) in json)
        {
            if (key.StartsWith("x-", StringComparison.Ordinal)) { responses.VendorExtension.Add(NamedAny(key, value)); continue; }
            var o = Obj(value);
            var rv = o.ContainsKey("$ref") ? new ResponseValue { JsonReference = JsonReference(o) } : new ResponseValue { Response = Response(o) };
            responses.ResponseCode.Add(new NamedResponseValue { Name = key, Value = rv });
        }
        return responses;
    }

    private static Response Response(JsonObject json)
    {
        var response = new Response();
        foreach (var (key, value) in json)
        {
            switch (key)
            {
                case "description": response.Description = Str(value); break;
                case "schema":
                    var schema = Obj(value);
                    if (schema["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String && t.GetValue<string>() == "file")
                        throw new NotSupportedException("OpenAPI v2 file responses");
                    response.Schema = new SchemaItem { Schema = Schema(schema) };
                    break;
                default: Extension(response.VendorExtension, key, value, "response"); break;
            }
        }
        return response;
    }

    private static JsonReference JsonReference(JsonObject json)
    {
        var r = new JsonReference();
        foreach (var (key, value) in json)
        {
            switch (key)
            {
                case "$ref": r.Ref = Str(value); break;
                case "description": r.Description = Str(value); break;
                default: throw new NotSupportedException($"OpenAPI v2 reference key \"{key}\"");
            }
        }
        return r;
    }

    private static Schema Schema(JsonObject json)
    {
        var s = new Schema();
        foreach (var (key, value) in json)
        {
            switch (key)
            {
                case "$ref": s.Ref = Str(value); break;
                case "format": s.Format = Str(value); break;
                case "title": s.Title = Str(value); break;
                case "description": s.Description = Str(value); break;
                case "default": s.Default = Any(value); break;
                case "multipleOf": s.MultipleOf = Double(value); break;
                case "maximum": s.Maximum = Double(value); break;
                case "exclusiveMaximum": s.ExclusiveMaximum = Bool(value); break;
                case "minimum": s.Minimum = Double(value); break;
                case "exclusiveMinimum": s.ExclusiveMinimum = Bool(value); break;
                case "maxLength": s.MaxLength = Long(value); break;
                case "minLength": s.MinLength = Long(value); break;
                case "pattern": s.Pattern = Str(value); break;
                case "maxItems": s.MaxItems = Long(value); break;
                case "minItems": s.MinItems = Long(value); break;
                case "uniqueItems": s.UniqueItems = Bool(value); break;
                case "maxProperties": s.MaxProperties = Long(value); break;
                case "minProperties": s.MinProperties = Long(value); break;
                case "required": Strings(s.Required, value); break;
                case "enum":
                    foreach (var v in Arr(value)) s.Enum.Add(Any(v));
                    break;
                case "additionalProperties":
                    s.AdditionalProperties = value is JsonObject ap
                        ? new AdditionalPropertiesItem { Schema = Schema(ap) }
                        : new AdditionalPropertiesItem { Boolean = Bool(value) };
                    break;
                case "type":
                    s.Type = new TypeItem();
                    if (value is JsonArray types) Strings(s.Type.Value, types);
                    else s.Type.Value.Add(Str(value));
                    break;
                case "items":
                    s.Items = new ItemsItem();
                    if (value is JsonArray items) foreach (var i in items) s.Items.Schema.Add(Schema(Obj(i)));
                    else s.Items.Schema.Add(Schema(Obj(value)));
                    break;
                case "allOf":
                    foreach (var a in Arr(value)) s.AllOf.Add(Schema(Obj(a)));
                    break;
                case "properties":
                    s.Properties = new Properties();
                    foreach (var (name, p) in Obj(value))
                        s.Properties.AdditionalProperties.Add(new NamedSchema { Name = name, Value = Schema(Obj(p)) });
                    break;
                case "discriminator": s.Discriminator = Str(value); break;
                case "readOnly": s.ReadOnly = Bool(value); break;
                case "externalDocs": s.ExternalDocs = ExternalDocs(Obj(value)); break;
                case "example": s.Example = Any(value); break;
                default: Extension(s.VendorExtension, key, value, "schema"); break;
            }
        }
        return s;
    }

    private static Tag Tag(JsonObject json)
    {
        var tag = new Tag();
        foreach (var (key, value) in json)
        {
            switch (key)
            {
                case "name": tag.Name = Str(value); break;
                case "description": tag.Description = Str(value); break;
                case "externalDocs": tag.ExternalDocs = ExternalDocs(Obj(value)); break;
                default: Extension(tag.VendorExtension, key, value, "tag"); break;
            }
        }
        return tag;
    }

    private static ExternalDocs ExternalDocs(JsonObject json)
    {
        var docs = new ExternalDocs();
        foreach (var (key, value) in json)
        {
            switch (key)
            {
                case "description": docs.Description = Str(value); break;
                case "url": docs.Url = Str(value); break;
                default: Extension(docs.VendorExtension, key, value, "externalDocs"); break;
            }
        }
        return docs;
    }

    private static void Extension(RepeatedField<NamedAny> extensions, string key, JsonNode? value, string where)
    {
        if (!key.StartsWith("x-", StringComparison.Ordinal))
            throw new NotSupportedException($"OpenAPI v2 {where} key \"{key}\" has no place in the gnostic model");
        extensions.Add(NamedAny(key, value));
    }

    private static NamedAny NamedAny(string name, JsonNode? value) => new() { Name = name, Value = Any(value) };

    /// <summary>gnostic keeps free-form values as the YAML text of the node (its compiler marshals the parsed node).</summary>
    private static Any Any(JsonNode? value) => new() { Yaml = Yaml.FromJson(value) };

    private static void Strings(RepeatedField<string> into, JsonNode? value)
    {
        foreach (var v in Arr(value)) into.Add(Str(v));
    }

    private static JsonObject Obj(JsonNode? node) => node as JsonObject ?? throw new NotSupportedException($"expected a JSON object, got {node?.ToJsonString() ?? "null"}");

    private static JsonArray Arr(JsonNode? node) => node as JsonArray ?? throw new NotSupportedException($"expected a JSON array, got {node?.ToJsonString() ?? "null"}");

    private static string Str(JsonNode? node) => node!.GetValue<string>();

    private static bool Bool(JsonNode? node) => node!.GetValue<bool>();

    private static long Long(JsonNode? node) => node.Deserialize<long>();

    private static double Double(JsonNode? node) => node.Deserialize<double>();
}
