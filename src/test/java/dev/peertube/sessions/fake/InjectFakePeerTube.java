package dev.peertube.sessions.fake;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@link FakePeerTube} field of a test class that {@link FakePeerTubeResource} fills with the running
 * fake (the {@code inject} hook of Quarkus test resources); an alternative to {@link FakePeerTubeResource#fake()}.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface InjectFakePeerTube {
}
