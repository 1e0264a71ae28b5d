import Testing

@testable import TokendHTTP

/// The byte-level fast path answers as the character rules do.
@Suite struct BearerSecretTests {
    @Test(arguments: [
        ("Bearer tkd_x", "tkd_x"), ("bearer tkd_x", "tkd_x"), ("BEARER   tkd_x", "tkd_x"), ("bEaReR x", "x"),
        ("Bearer é", "é"), ("Bearer  é", "é"),
    ])
    func aBearerCredentialIsRead(header: String, secret: String) {
        #expect(BearerSecret.presented(inAuthorization: header) == Substring(secret))
    }

    @Test(arguments: [
        "Bearer", "Bearer ", "Bearertkd_x", "Basic dXNlcjpw", "Bearer\0tkd_x", "Bearer\ttkd_x", "Béarer tkd_x", "bearer", "",
        // A combining mark after the space joins it into one character: no "Bearer " scheme there.
        "Bearer \u{301}tkd_x",
    ])
    func anythingElseIsNoSecret(header: String) {
        #expect(BearerSecret.presented(inAuthorization: header) == nil)
    }
}
