import TokendCore
import TokendFuzzSupport

/// The ids a path or a body names: xScaler tenants, organisations and keys, Cockpit's UUIDs
/// and regions. Each accepted id is written back as its canonical text and read again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    checkUUIDBytes(input.bytes)
    let text = input.text
    checkTenantID(text)
    checkOrganizationID(text)
    checkKeyID(text)
    checkUUID(text)
    checkRegion(text)
    return 0
}

func checkTenantID(_ text: String) {
    let parsed: TenantID
    do {
        parsed = try TenantID.parse(text)
    } catch {
        invariant(error == .notFound(resource: "tenant", resourceID: String(text.prefix(64))), "a tenant id refused with \(error)")
        invariant(TenantID(text) == nil, "TenantID.parse refuses what TenantID accepts")
        return
    }
    invariant(parsed.rawValue == text && TenantID(parsed.rawValue) == parsed, "the tenant id \(text) reads back as \(parsed)")
    let bytes = Array(text.utf8)
    invariant(bytes.count <= 64 && bytes.suffix(9).first == UInt8(ascii: "_"), "the tenant id \(text) was accepted")
    invariant(bytes.allSatisfy { $0 < 0x80 }, "a tenant id with non-ASCII bytes: \(text)")
    // An organisation's slug always makes tenant ids that parse.
    let slug = OrganizationSlug(displayName: text)
    invariant((1...OrganizationSlug.maximumLength).contains(slug.rawValue.utf8.count), "the slug \(slug) of \(text)")
    invariant(TenantID(TenantID.prefix + slug.rawValue + "_abcd2345") != nil, "a tenant id of the slug \(slug) does not parse")
}

func checkOrganizationID(_ text: String) {
    guard let parsed = OrganizationID(text) else { return }
    invariant(parsed.rawValue == text.lowercased(), "the organisation \(text) reads back as \(parsed)")
    invariant(OrganizationID(parsed.rawValue) == parsed && parsed.rawValue.utf8.count == 39, "the organisation \(parsed)")
}

func checkKeyID(_ text: String) {
    let parsed: KeyID
    do {
        parsed = try KeyID.parse(text)
    } catch {
        invariant(error == .notFound(resource: "key", resourceID: String(text.prefix(64))), "a key id refused with \(error)")
        return
    }
    invariant(parsed.rawValue == text, "the key id \(text) reads back as \(parsed)")
    invariant((try? KeyID.parse(parsed.rawValue)) == parsed, "the key id \(parsed) does not read back")
}

/// The bytes as they come (a store's column, not a Swift string): accepted exactly when a
/// byte-at-a-time reading of the canonical form accepts them, and read as the same value.
func checkUUIDBytes(_ bytes: [UInt8]) {
    let parsed = bytes.withUnsafeBufferPointer { CanonicalUUID(utf8: $0) }
    let dashes: Set = [8, 13, 18, 23]
    let isCanonicalForm =
        bytes.count == 36
        && bytes.indices.allSatisfy { index in
            let byte = bytes[index]
            if dashes.contains(index) { return byte == UInt8(ascii: "-") }
            return (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
        }
    invariant((parsed != nil) == isCanonicalForm, "the UUID bytes \(bytes) accepted: \(parsed != nil)")
    if let parsed {
        invariant(parsed.rawValue == String(decoding: bytes, as: UTF8.self).lowercased(), "the UUID bytes \(bytes) read as \(parsed)")
    }
}

func checkUUID(_ text: String) {
    guard let parsed = CanonicalUUID(text) else { return }
    invariant(parsed.rawValue == text.lowercased() && CanonicalUUID(parsed.rawValue) == parsed, "the UUID \(text) reads back as \(parsed)")
    let key = KeyID(TokenID(uuid: parsed))
    invariant((try? KeyID.parse(key.rawValue)) == key, "the key of token \(parsed) does not read back")
}

func checkRegion(_ text: String) {
    guard let region = RegionName(text) else { return }
    invariant(region.rawValue == text, "the region \(text) reads back as \(region)")
    invariant(RegionName(secretHint: region.secretHint) == region, "the region \(region)'s hint \(region.secretHint) does not read back")
}
