package dev.ferry.host;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.runtime.isolation.PluginUtils;
import org.apache.maven.artifact.versioning.InvalidVersionSpecificationException;
import org.apache.maven.artifact.versioning.VersionRange;

import java.util.Map;

/** Which version of a connector a message asks for (KIP-891's connector.plugin.version). */
final class Versions {
    static final String CONNECTOR_VERSION = "connector.plugin.version";

    private Versions() {
    }

    /** The message's "version" if given, else the config's connector.plugin.version; null: the latest. */
    static VersionRange range(String version, Map<String, String> config) {
        String spec = version != null ? version : config == null ? null : config.get(CONNECTOR_VERSION);
        if (spec == null || spec.isBlank()) {
            return null;
        }
        try {
            return PluginUtils.connectorVersionRequirement(spec);
        } catch (InvalidVersionSpecificationException e) {
            throw new ConnectException("Invalid version range for " + CONNECTOR_VERSION + ": " + spec, e);
        }
    }
}
